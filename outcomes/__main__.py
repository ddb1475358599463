"""`python -m outcomes`: the same command group as the `outcomes` console script."""

from outcomes_cli.cli import (
    main,  # the core's one upward import: a shim into the shell (see pyproject)
)

if __name__ == "__main__":
    main()

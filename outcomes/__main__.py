"""`python -m outcomes`: the same as the `outcomes` command."""

from outcomes.cli import main

if __name__ == "__main__":
    main()

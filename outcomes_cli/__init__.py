"""The application shell: the `outcomes` command group and the demo clinic generator.

The composition root: the only package that knows every other layer (the
domain core `outcomes`, storage `db`, `reports` and the terminal app).
"""

"""Writing files safely: the one way the program writes a file, and what every CSV cell goes through.

A package below the storage layer and the reports alike (both write files;
neither should borrow the other's): `safe_files.atomic` writes a file whole
or not at all, owner-only, never through a link; `safe_files.spreadsheet`
neutralises formula-like CSV cells; `safe_files.errors.StorageError` is what
they refuse with. It imports nothing of the project.
"""

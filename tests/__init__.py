"""The test suite, mirroring the layers: core, db, reports, app, cli."""

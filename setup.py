"""Build hook: ship the terminal app's stylesheets beside its top-level modules.

setuptools copies only `.py` files for top-level modules (`tui.py`,
`tui_patient.py`, ...); their `.tcss` stylesheets must sit beside them in the
installed tree, so this copies every top-level `*.tcss` into the build.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithStylesheets(build_py):
    def run(self):
        super().run()
        for sheet in Path(__file__).parent.glob("*.tcss"):
            shutil.copy2(sheet, Path(self.build_lib) / sheet.name)


setup(cmdclass={"build_py": BuildWithStylesheets})

"""The build ships the notebooks as package data: ``notebooks/*.ipynb`` (edited where users and the
Makefile expect them, at the top of the repository) are copied into ``perfkit/notebooks/`` of the wheel,
so that ``perfkit report`` finds them when perfkit is installed from a wheel
(:func:`perfkit.shipped_notebooks`). Everything else is configured in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


class BuildWithNotebooks(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository's notebooks/ directly
            return
        target = Path(self.build_lib) / "perfkit" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
            shutil.copyfile(notebook, target / notebook.name)


setup(cmdclass={"build_py": BuildWithNotebooks})

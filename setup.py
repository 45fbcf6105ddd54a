"""Build step that puts DataBorder's shipped data inside the package, so every distribution carries it.

resources/ and rules/ stay at the repository's top level (the source of truth that tests, tools and reviewers
read); building the package copies them to ``databorder/_data/`` in the build folder, so a wheel (and a wheel
built from the sdist, which MANIFEST.in makes carry both folders) installs them beside the code, where
``databorder.resources`` finds them through importlib.resources. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("resources", "rules")


class BuildPyWithData(build_py):
    """build_py, then copy the shipped data folders into ``<build>/databorder/_data/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the source tree itself
            return
        target = Path(self.build_lib, "databorder", "_data")
        for name in SHIPPED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"{name}/ is missing beside setup.py: the package cannot be built without it")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))


setup(cmdclass={"build_py": BuildPyWithData})

"""Compile the message catalogs in every build, so `pip install .` (and `-e .`) ships them.

The compiled .mo files are never kept in git, where they could go stale beside their .po
sources; the project's metadata stays in pyproject.toml.
"""

from babel.messages.frontend import CommandLineInterface
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = "statuspage/translations"


class BuildWithCatalogs(build_py):
    """Build the packages after compiling statuspage/translations/*/LC_MESSAGES/messages.po."""

    def run(self) -> None:
        CommandLineInterface().run(["pybabel", "compile", "--directory", TRANSLATIONS])
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})

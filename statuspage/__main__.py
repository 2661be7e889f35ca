"""Run the command line as `python -m statuspage`."""

from statuspage.cli import cli

cli()

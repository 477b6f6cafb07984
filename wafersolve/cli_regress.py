"""Command-line commands of the regress work (being written; registers nothing yet)."""

from __future__ import annotations


def add_commands(sub, common) -> None:
    """Register this module's subcommands on the argparse ``sub`` parsers."""

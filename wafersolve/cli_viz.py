"""Command-line commands of the viz work (being written; registers nothing yet)."""

from __future__ import annotations


def add_commands(sub, common) -> None:
    """Register this module's subcommands on the argparse ``sub`` parsers."""

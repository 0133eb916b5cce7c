"""CLI commands: site (being written)."""

COMMANDS: list = []

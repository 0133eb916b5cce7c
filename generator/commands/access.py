"""CLI commands: access (being written)."""

COMMANDS: list = []

"""CLI commands: workflow (being written)."""

COMMANDS: list = []

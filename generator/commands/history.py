"""CLI commands: history (being written)."""

COMMANDS: list = []

"""Editing the archive, one step of the working cycle per module; every write is validated first and atomic."""

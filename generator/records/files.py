"""Writing files atomically: each is staged beside its target and renamed over it, so a reader sees old or new."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _stage(target: Path) -> tuple[int, str]:
    """A fresh temporary file in the target's folder (the rename stays on one file system), created exclusively."""
    return tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)


def _mode(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    return target.stat().st_mode & 0o777 if target.exists() else 0o644


@contextlib.contextmanager
def atomic_file(target: Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """Write `target` through the file yielded; it replaces the target only if the block completes.

    mode: the permissions of the new file (default: those of the file it replaces, or 0o644).
    """
    fd, tmp = _stage(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, _mode(target, mode))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: dict[Path, bytes]) -> None:
    """Stage every file as a temporary file beside its target, then rename them all; a failed stage writes nothing."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _stage(target)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.chmod(tmp, _mode(target, None))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)

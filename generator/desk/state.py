"""What the desk remembers between requests (marks on change requests, the publishing state), next to its archive.

Kept as small JSON files in the archive's git directory (`<git dir>/bangfu-desk/`), which only the desk writes and
every gunicorn worker reads: a worker's memory is not shared with the others. Each file is replaced atomically.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.desk.plumbing import PREFIX, Git, Request
from generator.records.files import atomic_file

NEEDS_REVISION, CONFLICT = "需要修改", "冲突"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}/[1-9][0-9]{9}-[1-9][0-9]{0,5}")


def state_dir(git: Git) -> Path:
    """`<git dir>/bangfu-desk`, made on first use."""
    folder = Path(git.run("rev-parse", "--absolute-git-dir")) / "bangfu-desk"
    folder.mkdir(exist_ok=True)
    return folder


def read_json(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def _mark_file(git: Git, request: Request) -> Path:
    name = request.ref.removeprefix(PREFIX)
    if not _NAME.fullmatch(name):
        raise ValueError(name)
    return state_dir(git) / "marks" / f"{name}.json"


def mark(git: Git, request: Request, kind: str, messages: list[str], clashes: list[dict] | None = None) -> None:
    """Mark the request (at its current tip) as needing revision or conflicting, with what to show its editor."""
    write_json(_mark_file(git, request), {"kind": kind, "head": request.head, "messages": messages, "clashes": clashes or []})


def mark_of(git: Git, request: Request) -> dict | None:
    """The request's mark, while its tip is still the one marked (a new commit by its editor clears it)."""
    found = read_json(_mark_file(git, request))
    return found if found and found.get("head") == request.head else None


def unmark(git: Git, request: Request) -> None:
    _mark_file(git, request).unlink(missing_ok=True)

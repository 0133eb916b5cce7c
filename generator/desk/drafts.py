"""Drafts kept on the server, one per user and household: typing is never lost, and no one else sees it.

A draft is the form's fields as the browser last sent them and the main commit they were typed against, in
<git dir>/bangfu-desk/drafts/<login>/<职工编号>.json: outside the archive's working tree (never committed, never
published), named only from the validated login and number (never from anything else the client sends), written
atomically (a reader sees the old draft or the new one), and deleted when the draft is submitted.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from generator.desk.plumbing import Git
from generator.records.files import atomic_file

_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")  # as identity.py accepts from nginx
_NUMBER = re.compile(r"[1-9][0-9]{9}")
_SHA = re.compile(r"[0-9a-f]{40}")
MAX_DRAFTS = 100  # per user
MAX_FIELDS = 5000
MAX_VALUE = 2000
MAX_NAME = 200


@dataclass(frozen=True)
class Draft:
    base: str  # the main commit the form was opened on
    saved: str  # when, ISO 8601 UTC
    items: list[tuple[str, str]]  # the form's (name, value) pairs


class Drafts:
    """The drafts of one desk (in its repository's git directory)."""

    def __init__(self, git: Git):
        self.git = git
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(self.git.run("rev-parse", "--absolute-git-dir")) / "bangfu-desk" / "drafts"
        return self._folder

    def path(self, login: str, number: str) -> Path:
        if not _LOGIN.fullmatch(login) or not _NUMBER.fullmatch(number):
            raise ValueError("草稿的用户名或职工编号无效。")
        return self.folder / login / f"{number}.json"

    def save(self, login: str, number: str, base: str, items: list[tuple[str, str]]) -> str:
        """Keep the form's fields for this user and household; returns when it was saved."""
        target = self.path(login, number)
        if len(items) > MAX_FIELDS or any(len(k) > MAX_NAME or len(v) > MAX_VALUE for k, v in items):
            raise ValueError("草稿内容太多，未能保存。")
        if not target.exists() and len(self.numbers(login)) >= MAX_DRAFTS:
            raise ValueError(f"您已有 {MAX_DRAFTS} 份未提交的草稿，请先提交或放弃一些。")
        saved = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        body = {"base": base if _SHA.fullmatch(base) else "", "saved": saved, "items": [[k, v] for k, v in items]}
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with atomic_file(target, mode=0o600) as fh:
            fh.write(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        return saved

    def load(self, login: str, number: str) -> Draft | None:
        """The user's draft of this household, or None (none, or unreadable: a draft is a convenience, not a record)."""
        try:
            body = json.loads(self.path(login, number).read_bytes())
            items = [(str(k), str(v)) for k, v in body["items"]]
            return Draft(str(body.get("base", "")), str(body.get("saved", "")), items)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def delete(self, login: str, number: str) -> None:
        self.path(login, number).unlink(missing_ok=True)

    def numbers(self, login: str) -> list[str]:
        """The households this user has drafts of."""
        if not _LOGIN.fullmatch(login):
            return []
        try:
            names = [p.name for p in (self.folder / login).iterdir()]
        except OSError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".json") and _NUMBER.fullmatch(n[:-5]))

"""The history of each household as the site needs it: changes newest first, last change date, a digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

NO_HISTORY = "没有 git 历史（例如从压缩包生成）：各户的修改历史为空，“一年未更新”按文件修改时间计算。"


@dataclass
class HistoryIndex:
    """Changes per record path (from generator.history.log), or nothing when there is no git history."""

    root: Path
    source: object = None  # generator.history.log.History
    warnings: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.source is not None and bool(getattr(self.source, "commits", None))

    def changes(self, path: str) -> list:
        return list(self.source.for_path(path)) if self.source is not None else []

    def digest(self, path: str) -> str:
        """Names the history a page shows; changes when a commit touches the record (or its verdict)."""
        parts = [f"{c.commit.sha}:{c.commit.status}" for c in self.changes(path)]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16] if parts else ""

    def prepare(self, paths: list[str], records: list | None = None) -> None:
        """Compute field diffs for the pages about to be rendered, in one bulk pass.

        records: the build's loaded households; their current blobs then need no parsing again.
        """
        if self.source is not None and paths:
            self.source.fill(paths, records=records)

    @property
    def head(self) -> str | None:
        return getattr(self.source, "head", None) if self.source is not None else None

    def continuity(self, previous_head: str | None) -> str | None:
        """A loud message when the history last built from is no longer contained in main (a rewrite)."""
        if self.source is None or not previous_head:
            return None
        from generator.history.log import check_continuity

        return check_continuity(self.root, previous_head)

    def last_changed(self, path: str) -> tuple[dt.date | None, str]:
        """The date the record last changed on main and where that date comes from ('git' or 'mtime')."""
        if self.available:
            change = self.source.last_changed(path)
            if change is not None:
                return dt.date.fromisoformat(change.date), "git"
        try:
            return dt.date.fromtimestamp(os.stat(self.root / path).st_mtime), "mtime"
        except OSError:
            return None, "mtime"


def read_history_index(root: Path) -> HistoryIndex:
    """Read main's history once (one git log pass); without git or the history module, an empty index."""
    from generator.errors import BangfuError
    from generator.history.log import read_history

    try:
        history = read_history(root)
    except BangfuError as exc:
        return HistoryIndex(root, None, [f"无法读取修改历史：{exc.message}", NO_HISTORY])
    warnings = list(getattr(history, "warnings", []))
    if not getattr(history, "commits", None):
        warnings.append(NO_HISTORY)
        return HistoryIndex(root, None, warnings)
    return HistoryIndex(root, history, warnings)

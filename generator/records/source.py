"""The households a build renders: only their data, with repeated strings shared, cached by git blob id.

The site needs neither YAML line numbers nor the unquoted source texts the validator keeps, and a province
(26,700 households) held as full Records costs about 60 KB each (1.7 GB). Here each household is its data
alone, with keys and short values interned (one object per distinct string), read back from a cache keyed by
the file's blob id, so an unchanged file is never parsed again and a province fits in about 500 MB. Files are
validated first (generator.validation.validate, with its own cache); only files without errors are read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from generator.records.load import Record, is_regular, load_each

CACHE_NAME = "site-data"
_SHARED_UP_TO = 12  # characters: enum values, dates and other strings that repeat across households


@dataclass(slots=True)
class SiteHousehold:
    """One household file as the site sees it."""

    path: str  # records/460105/4601050001.yaml
    blob: str
    data: dict

    @property
    def county(self) -> str:
        return self.path.rsplit("/", 2)[-2]

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".yaml")


def load_households(root: Path, files: list[tuple[str, str]]) -> list[SiteHousehold]:
    """Every readable, parseable household among `files` ((rel, path) pairs; the validator has reported the others).

    The cache is kept per county, so a change rewrites one county's file (about 3 MB), not the province's.
    """
    files = [(rel, path) for rel, path in files if is_regular(path)]  # a file turned into a link since validation
    loaded = load_each(root, files, CACHE_NAME, shared_data, kind="site-data")
    return [SiteHousehold(sys.intern(item.rel), item.blob, item.value) for item in loaded if isinstance(item.value, dict)]


def shared_data(_rel: str, record: Record | None, _problems: list) -> dict | None:
    """The validator has vetted these files; the loader gives the same data it checked (dates as ISO text)."""
    return share(record.data) if record is not None else None


def share(value):
    """The same data with dictionary keys and short strings interned (pickling keeps the sharing)."""
    if isinstance(value, dict):
        return {sys.intern(k): share(v) for k, v in value.items()}
    if isinstance(value, list):
        return [share(v) for v in value]
    if isinstance(value, str) and len(value) <= _SHARED_UP_TO:
        return sys.intern(value)
    return value

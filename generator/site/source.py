"""The households a build renders: only their data, with repeated strings shared, cached by git blob id.

The site needs neither YAML line numbers nor the unquoted source texts the validator keeps, and a province
(26,700 households) held as full Records costs about 60 KB each. Here each household is its data alone, with
keys and short values interned (one object per distinct string), read back from a cache keyed by the file's
blob id, so an unchanged file is never parsed again and a province fits in a few hundred megabytes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from generator import cache
from generator.load import _relative, blob_id, parse_bytes

CACHE_NAME = "site-data"
_SHARED_UP_TO = 12  # characters: enum values, dates and other strings that repeat across households


@dataclass(slots=True)
class Household:
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


def load_households(root: Path, paths: list[Path]) -> list[Household]:
    """Every readable, parseable household among `paths` (the validator has already reported the others)."""
    cached = cache.read(root, CACHE_NAME)
    fresh: dict = {}
    out: list[Household] = []
    for path in paths:
        rel = _relative(path, root)
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        blob = blob_id(raw)
        data = cached.get((rel, blob))
        if data is None:
            record, _ = parse_bytes(raw, rel)
            if record is None:
                continue
            data = share(record.data)
        fresh[(rel, blob)] = data
        out.append(Household(sys.intern(rel), blob, data))
    if fresh.keys() != cached.keys():
        cache.write(root, CACHE_NAME, fresh)
    return out


def share(value):
    """The same data with dictionary keys and short strings interned (pickling keeps the sharing)."""
    if isinstance(value, dict):
        return {sys.intern(k): share(v) for k, v in value.items()}
    if isinstance(value, list):
        return [share(v) for v in value]
    if isinstance(value, str) and len(value) <= _SHARED_UP_TO:
        return sys.intern(value)
    return value

"""Caches keyed by git blob id: an unchanged file is never parsed or checked twice.

Where cache files live (never in a working tree), the one fingerprint that names them and how they are
read back are in generator.records.cache_files.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path

# Re-exported: callers name them cache.cache_dir, cache.inputs_key, … beside cache.read and cache.write.
from generator.parallel import no_gc
from generator.records.cache_files import (  # noqa: F401
    CACHE_DIR,
    cache_dir,
    fingerprint,
    inputs_key,
    legacy_warning,
    load,
    program_key,
)
from generator.records.files import atomic_file

STAT_CACHE = "stat"
# A file changed this recently may change again within the same clock tick without its size, times or
# inode changing (git's "racy" case): its identity is not remembered, so it is read again next time.
SETTLE_NS = 2_000_000_000


def blob_id(data: bytes) -> str:
    """The git blob id of these bytes (so caches agree with git)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _cache_file(root: Path, name: str, key: str) -> Path:
    return cache_dir(root) / f"{name}@{key}.pickle"


def read(root: Path, name: str, key: str | None = None) -> dict:
    """A cache mapping, or an empty one when missing or unreadable (a cache is never trusted blindly).

    key: inputs_key(root), when the caller has it already.
    """
    try:
        with no_gc(), open(_cache_file(root, name, key or inputs_key(root)), "rb") as fh:
            value = load(fh)
        return value if isinstance(value, dict) else {}
    except Exception:  # noqa: BLE001 - any broken cache is simply rebuilt
        return {}


def write(root: Path, name: str, mapping: dict, key: str | None = None) -> None:
    """Write a cache atomically and drop its files of other inputs; failure to write never fails the run."""
    target = _cache_file(root, name, key or inputs_key(root))
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with atomic_file(target, mode=0o600) as fh:
            pickle.dump(mapping, fh, protocol=pickle.HIGHEST_PROTOCOL)
        for old in target.parent.glob(f"{name}@*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass


class Shards:
    """A cache kept as one file per shard (a county), so one change rewrites its county's file only.

    Entries not looked up or stored in a run are dropped from the shards the run touched.
    """

    def __init__(self, root: Path, name: str, *, use_cache: bool = True, key: str | None = None):
        """key: what names the cache files (default: inputs_key(root), every input including the settings)."""
        self.root, self.name, self.use_cache = root, name, use_cache
        self.key = (key or inputs_key(root)) if use_cache else ""
        self.old: dict[str, dict] = {}
        self.new: dict[str, dict] = {}
        self.dirty: set[str] = set()

    def shard(self, shard: str) -> dict:
        found = self.old.get(shard)
        if found is None:
            found = self.old[shard] = read(self.root, f"{self.name}-{shard}", self.key) if self.use_cache else {}
            self.new[shard] = {}
        return found

    def get(self, shard: str, key):
        value = self.shard(shard).get(key)
        if value is not None:
            self.new[shard][key] = value
        return value

    def put(self, shard: str, key, value) -> None:
        self.shard(shard)
        self.new[shard][key] = value
        self.dirty.add(shard)

    def save(self, *, whole: bool = True) -> None:
        """Write the shards that changed; whole=False (a run over some files only) keeps the others' entries."""
        if not self.use_cache:
            return
        for shard, mapping in self.new.items():
            if not whole:
                mapping = {**self.old[shard], **mapping}
            if shard in self.dirty or mapping.keys() != self.old[shard].keys():
                write(self.root, f"{self.name}-{shard}", mapping, self.key)


def read_every_shard(root: Path, name: str) -> dict:
    """Every entry of a cache kept per shard, for a reader that does not know the shards."""
    key = inputs_key(root)
    suffix = f"@{key}.pickle"
    out: dict = {}
    for path in sorted(cache_dir(root).glob(f"{name}-*{suffix}")):
        out.update(read(root, path.name.removesuffix(suffix), key))
    return out


def shard_of(rel: str) -> str:
    """The shard of a record path: its county folder (records/460105/x.yaml → 460105)."""
    parts = rel.rsplit("/", 2)
    return parts[-2] if len(parts) == 3 else "_"


class StatCache:
    """Blob ids of files by their size, times and inode, as git's index keeps them.

    A file whose signature is the one recorded when it was last read has the same content, so its
    blob id is known without reading it. A file changed in the last seconds before it was read could
    change again within the same clock tick without a new signature (git's "racy" case): it is not
    remembered, and is read again next time.
    """

    def __init__(self, root: Path, *, use_cache: bool = True):
        self.root, self.use_cache = root, use_cache
        self.key = inputs_key(root) if use_cache else ""
        self.known: dict = read(root, STAT_CACHE, self.key) if use_cache else {}
        self.fresh: dict = {}
        self.now = time.time_ns()
        self.changed = False

    def blob(self, rel: str, sig: tuple) -> str | None:
        """The blob id of rel if its signature is unchanged since it was read, else None."""
        hit = self.known.get(rel)
        if hit is not None and hit[0] == sig:
            self.fresh[rel] = hit
            return hit[1]
        return None

    def remember(self, rel: str, sig: tuple, blob: str) -> None:
        self.changed = True
        if self.now - max(sig[1], sig[2]) > SETTLE_NS:
            self.fresh[rel] = (sig, blob)

    def save(self, *, whole: bool = True) -> None:
        """Write what changed; whole=False (a run over some files only) keeps the other files' entries."""
        fresh = self.fresh if whole else {**self.known, **self.fresh}
        if self.use_cache and (self.changed or len(fresh) != len(self.known)):
            write(self.root, STAT_CACHE, fresh, self.key)


def signature(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def read_file(path: str) -> tuple[bytes, tuple]:
    """The bytes of a file and the signature it had once they were read."""
    with open(path, "rb") as fh:
        raw = fh.read()
        sig = signature(os.fstat(fh.fileno()))
    if len(raw) != sig[0]:  # written to while read: a signature that is never trusted
        sig = (sig[0], time.time_ns(), time.time_ns(), sig[3])
    return raw, sig

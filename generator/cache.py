"""Caches keyed by git blob id: an unchanged file is never parsed or checked twice."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from generator import __version__
from generator.errors import Problem

CACHE_DIR = ".bangfu-cache"
PARALLEL_FROM = 1500  # below this, starting worker processes costs more than it saves


def _cache_file(root: Path, name: str) -> Path:
    return root / CACHE_DIR / f"{name}-{__version__}.pickle"


def read(root: Path, name: str) -> dict:
    """A cache mapping, or an empty one when missing or unreadable (a cache is never trusted blindly)."""
    try:
        with open(_cache_file(root, name), "rb") as fh:
            value = pickle.load(fh)
        return value if isinstance(value, dict) else {}
    except Exception:  # noqa: BLE001 - any broken cache is simply rebuilt
        return {}


def write(root: Path, name: str, mapping: dict) -> None:
    """Write a cache atomically; failure to write a cache never fails the run."""
    target = _cache_file(root, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(mapping, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass


def fingerprint(*parts: bytes | str) -> str:
    """A short hash naming everything a cached result depends on."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _parse_chunk(items: list[tuple[str, bytes]]):
    from generator.load import parse_bytes

    return [parse_bytes(raw, rel) for rel, raw in items]


def load_many(root: Path, paths: list[Path], *, use_cache: bool = True):
    """Parse the given record files, reusing cached parses of unchanged blobs."""
    from generator.load import Record, _relative, blob_id

    cached = read(root, "records") if use_cache else {}
    fresh: dict = {}
    records: list[Record] = []
    problems: list[Problem] = []
    misses: list[tuple[int, str, bytes]] = []
    results: list = [None] * len(paths)
    for index, path in enumerate(paths):
        rel = _relative(path, root)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            results[index] = (None, [Problem(rel, None, "", "", "read-error", f"无法读取文件：{exc.strerror or exc}")])
            continue
        key = (rel, blob_id(raw))
        hit = cached.get(key)
        if hit is not None:
            fresh[key] = hit
            data, found = hit
            record = Record(rel, data, None, key[1], None, str(path)) if data is not None else None
            results[index] = (record, found)
        else:
            misses.append((index, rel, raw))
    for (index, rel, raw), outcome in zip(misses, _parse_all([(rel, raw) for _, rel, raw in misses])):
        record, found = outcome
        if record is not None:
            record.source = str(paths[index])
        results[index] = outcome
        fresh[(rel, record.blob if record else blob_id(raw))] = (record.data if record else None, found)
    for record, found in results:
        if record is not None:
            records.append(record)
        problems.extend(found)
    if use_cache and (misses or len(fresh) != len(cached)):
        write(root, "records", fresh)
    return records, problems


def _parse_all(items: list[tuple[str, bytes]]) -> list:
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_FROM or workers < 2:
        return _parse_chunk(items)
    size = max(200, len(items) // (workers * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [outcome for chunk in pool.map(_parse_chunk, chunks) for outcome in chunk]

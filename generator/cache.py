"""Caches keyed by git blob id: an unchanged file is never parsed or checked twice.

Caches are pickles, and unpickling runs code, so they live where no commit can put a file: in the git
directory of the archive (`<git dir>/bangfu-cache/`), or, for an archive outside git, in the user's cache
folder (`$XDG_CACHE_HOME/bangfu/<hash of the archive's path>/`). A `.bangfu-cache/` in a working tree (where
older versions kept them) is never read. Every cache file is named by one fingerprint of all inputs
(`inputs_key`): the whole program with its data and schemas, Python and the installed packages, and the
archive's settings; a change to any of them starts every cache afresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import importlib
import importlib.util
import os
import pickle
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from generator import PACKAGE_DIR
from generator.errors import WARNING, Problem

FOLDER = "bangfu-cache"  # inside the git directory
LEGACY_DIR = ".bangfu-cache"  # where caches were once kept, in the working tree: never read, only warned about
SETTINGS_DIR = Path("records") / "_settings"
PARALLEL_FROM = 1500  # below this, starting worker processes costs more than it saves
STAT_CACHE = "stat"
# A file changed this recently may change again within the same clock tick without its size, times or
# inode changing (git's "racy" case): its identity is not remembered, so it is read again next time.
SETTLE_NS = 2_000_000_000


@contextlib.contextmanager
def no_gc():
    """Run a batch step with the cyclic garbage collector off (restored after).

    Loading, checking and indexing a province allocates millions of small objects and no cycles
    worth collecting; the collector's passes over them cost up to three times the work itself.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def cache_dir(root: Path) -> Path:
    """The folder holding the caches of the archive at root; never inside its working tree."""
    return _cache_dir(os.path.realpath(root))


class _CacheLocation:
    """`root / CACHE_DIR` is the cache folder of the archive at root (see cache_dir), not a folder inside root."""

    def __rtruediv__(self, root) -> Path:
        return cache_dir(Path(root))

    def __repr__(self) -> str:
        return "CACHE_DIR"


CACHE_DIR = _CacheLocation()


@lru_cache(maxsize=64)
def _cache_dir(root: str) -> Path:
    located = _git_location(root)
    if located is not None:
        git_dir, prefix = located
        base = Path(git_dir) / FOLDER
        # An archive in a subfolder of a repository keeps its own caches (they are keyed by paths inside it).
        return base / "sub" / _digest(prefix) if prefix else base
    return _user_cache() / _digest(root)


def _git_location(root: str) -> tuple[str, str] | None:
    """(absolute git directory, root's path inside the working tree) of the repository holding root, if any.

    A folder inside the git directory itself (the trees review and the push hook check out there) shares
    the repository's caches. git's own variables (GIT_DIR is set inside hooks) are left out: root decides.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in ("GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")}
    try:
        done = subprocess.run(["git", "-C", root, "rev-parse", "--absolute-git-dir", "--is-inside-git-dir", "--show-prefix"],
                              env=env, capture_output=True, text=True, check=False)
    except OSError:
        return None
    lines = done.stdout.splitlines()
    if done.returncode or len(lines) < 2 or not lines[0]:
        return None
    prefix = lines[2] if len(lines) > 2 and lines[1] == "false" else ""
    return lines[0], prefix.rstrip("/")


def _user_cache() -> Path:
    """$XDG_CACHE_HOME/bangfu (~/.cache/bangfu), or a private folder for this run when there is no home."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"
    except RuntimeError:
        return Path(tempfile.mkdtemp(prefix="bangfu-cache-"))
    return base / "bangfu"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


# Top-level modules of the dependencies (pyproject.toml) and of what they lean on for our output.
DEPENDENCY_MODULES = ("mkdocs", "material", "yaml", "jinja2", "markupsafe", "jsonschema", "jsonschema_rs", "git",
                      "stdnum", "click", "rich", "openpyxl", "markdown", "pymdownx")


@lru_cache(maxsize=1)
def program_key() -> str:
    """The running program: every file of the package (code, templates, region data, schemas), the Python
    version, and the name and version of every distribution installed where the dependencies are."""
    from generator.schema import SCHEMA_DIR

    parts: list[bytes | str] = [sys.version]
    for folder in (PACKAGE_DIR, SCHEMA_DIR):
        for path in sorted(folder.rglob("*")):
            if "__pycache__" not in path.parts and path.is_file():
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    folders = set()
    for name in DEPENDENCY_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.add(Path(spec.origin).parent.parent)
        parts.append(f"{name}:{spec is not None}")
    for folder in sorted(folders):
        try:
            parts += sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return fingerprint(*parts)


def inputs_key(root: Path) -> str:
    """One fingerprint of everything a cached result may depend on besides the files it is keyed by:
    the program (program_key) and the archive's settings (records/_settings/)."""
    parts: list[bytes | str] = [program_key()]
    settings = Path(root) / SETTINGS_DIR
    try:
        names = sorted(os.listdir(settings))
    except OSError:
        names = []
    for name in names:
        try:
            parts += [name, (settings / name).read_bytes()]
        except OSError as exc:
            parts += [name, type(exc).__name__]
    return fingerprint(*parts)


def _cache_file(root: Path, name: str, key: str) -> Path:
    return cache_dir(root) / f"{name}@{key}.pickle"


class _Unpickler(pickle.Unpickler):
    """Builds plain data and the program's own dataclasses only: no function, no other class is reachable,
    so a planted file cannot run code (caches live where no commit can write; this is the second wall)."""

    PLAIN = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("decimal", "Decimal"),
             ("builtins", "set"), ("builtins", "frozenset")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.PLAIN:
            return super().find_class(module, name)
        if module.startswith("generator.") and "." not in name and not name.startswith("_"):
            found = getattr(sys.modules.get(module) or importlib.import_module(module), name, None)
            if isinstance(found, type) and dataclasses.is_dataclass(found) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache")


def load(fh) -> object:
    """Unpickle a cache or manifest the program wrote (plain data and the program's dataclasses only)."""
    return _Unpickler(fh).load()


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
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(mapping, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        for old in target.parent.glob(f"{name}@*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass


def legacy_warning(root: Path) -> list[Problem]:
    """A warning when the working tree has a .bangfu-cache folder: ignored, and it must not be committed."""
    if not (Path(root) / LEGACY_DIR).exists():
        return []
    return [Problem(LEGACY_DIR, None, "", "", "legacy-cache",
                    f"工作区中有 {LEGACY_DIR} 目录：本程序不会读取其中的任何文件（缓存现在放在 git 目录中）。"
                    f"请删除它，且不要提交到仓库；合并请求中出现它时应拒绝。", WARNING)]


def fingerprint(*parts: bytes | str) -> str:
    """A short hash naming everything a cached result depends on."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


class Shards:
    """A cache kept as one file per shard (a county), so one change rewrites its county's file only.

    Entries not looked up or stored in a run are dropped from the shards the run touched.
    """

    def __init__(self, root: Path, name: str, *, use_cache: bool = True):
        self.root, self.name, self.use_cache = root, name, use_cache
        self.key = inputs_key(root) if use_cache else ""
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


def identify(root: Path, files: list[tuple[str, str]], *, use_cache: bool = True, whole: bool = True) -> list[tuple]:
    """(rel, path, blob id, bytes or None, OSError or None) for each (rel, path) of `files`.

    A file the stat cache recognises keeps its blob id without being read; any other file is read
    and hashed, and its bytes returned. whole=False: `files` are some of the archive's files only.
    """
    from generator.load import blob_id

    stats = StatCache(root, use_cache=use_cache)
    out: list[tuple] = []
    for rel, path in files:
        try:
            blob = stats.blob(rel, signature(os.stat(path)))
            if blob is not None:
                out.append((rel, path, blob, None, None))
                continue
            raw, sig = read_file(path)
        except OSError as exc:
            out.append((rel, path, None, None, exc))
            continue
        blob = blob_id(raw)
        stats.remember(rel, sig, blob)
        out.append((rel, path, blob, raw, None))
    stats.save(whole=whole)
    return out


def _parse_chunk(items: list[tuple[str, bytes]]):
    from generator.load import parse_bytes

    out = [parse_bytes(raw, rel) for rel, raw in items]
    for record, _ in out:
        if record is not None:
            record._raw = None  # the caller names the file, which gives the lines when needed
    return out


def load_many(root: Path, paths: list[Path], *, use_cache: bool = True):
    """Parse the given record files, reusing cached parses of unchanged blobs."""
    from generator.load import Record, _relative, blob_id

    cached = read(root, "records") if use_cache else {}
    fresh: dict = {}
    records: list[Record] = []
    problems: list[Problem] = []
    misses: list[tuple[int, str, bytes]] = []
    results: list = [None] * len(paths)
    files = [(_relative(path, root), str(path)) for path in paths]
    for index, (rel, path, blob, raw, failed) in enumerate(identify(root, files, use_cache=use_cache, whole=False)):
        if raw is None and failed is None and (rel, blob) not in cached:
            try:
                raw, _ = read_file(path)  # known by its signature but not parsed yet
            except OSError as exc:
                failed = exc
        if failed is not None:
            results[index] = (None, [Problem(rel, None, "", "", "read-error", f"无法读取文件：{failed.strerror or failed}")])
            continue
        key = (rel, blob)
        hit = cached.get(key)
        if hit is not None:
            fresh[key] = hit
            data, found = hit
            record = Record(rel, data, None, blob, None, path) if data is not None else None
            results[index] = (record, found)
        else:
            misses.append((index, rel, raw))
    for (index, rel, raw), outcome in zip(misses, _parse_all([(rel, raw) for _, rel, raw in misses]), strict=True):
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
    size = max(100, len(items) // (workers * 20))  # small chunks: workers finish together
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [outcome for chunk in pool.map(_parse_chunk, chunks) for outcome in chunk]

"""Publishing: write the next generation into a spare folder, changing only what changed, then swap atomically.

The output folder and a spare one (`<out>.bangfu/spare`) take turns. A build brings the spare up to date by
comparing with the manifest of what the spare holds (and hard-linking from the live output what is already
there), writes the pages that changed, deletes the ones that went, then exchanges the two folders in one
rename. Readers of the output never see a half-written tree; a failed build leaves the output untouched; and
a rebuild after one change touches a handful of files instead of rewriting (or deleting) a province.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import pickle
import secrets
import shutil
import subprocess
import threading
from pathlib import Path

from generator.errors import BuildError
from generator.records import cache
from generator.records.files import atomic_file

MARKER = ".bangfu-generation"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


class Output:
    """The output folder with its spare generation and manifests."""

    def __init__(self, out: Path):
        self.out = out.resolve()
        self.state = self.out.with_name(self.out.name + ".bangfu")
        self.spare = self.state / "spare"
        self.manifests = self.state / "manifests"

    def writer(self) -> Writer:
        """A writer over the spare folder, prepared from what it and the live output hold."""
        live_token = _token(self.out)
        if self.out.exists() and live_token is None and any(self.out.iterdir()):
            raise BuildError(f"输出目录 {self.out} 已存在且不是本程序生成的站点；为免误删，请换一个目录或先把它移走。")
        self.manifests.mkdir(parents=True, exist_ok=True)
        _clear_trash(self.state)
        live = (self._manifest(live_token) if live_token else None) or {}
        spare_token = _token(self.spare)
        base = self._manifest(spare_token) if spare_token else None
        if base is not None:
            # From here on the spare changes; if this process dies before saving, the next build must not trust it.
            _unlink(self.spare / MARKER)
        else:
            if self.spare.exists():
                self.spare.rename(self.state / f"trash-{secrets.token_hex(4)}")
                _clear_trash(self.state)
            base = self._linked_copy_of_live(live)
        return Writer(self, base, live, spare_token)

    def _linked_copy_of_live(self, live: dict) -> dict:
        """A new spare: the live output hard-linked in one `cp -al` (a province is 81,000 files; linking
        them one by one from Python takes 14 s, cp 1–2 s), so the build then changes only what changed."""
        if live and self.out.is_dir():
            done = subprocess.run(["cp", "-al", "--", str(self.out), str(self.spare)], capture_output=True)
            if done.returncode == 0:
                _unlink(self.spare / MARKER)
                return dict(live)
            if self.spare.exists():
                self.spare.rename(self.state / f"trash-{secrets.token_hex(4)}")
                _clear_trash(self.state)
        self.spare.mkdir(parents=True)
        return {}

    def _manifest(self, token: str) -> dict | None:
        try:
            with open(self.manifests / f"{token}.pickle", "rb") as fh:
                found = cache.load(fh)  # next to the output, which may be in a checkout: plain data only
        except Exception:  # noqa: BLE001 - an unreadable manifest only means rendering everything again
            return None
        return found if isinstance(found, dict) else None

    def save(self, entries: dict, old_token: str | None) -> None:
        """Record what the spare now holds under a fresh token."""
        token = secrets.token_hex(8)
        with atomic_file(self.manifests / f"{token}.pickle") as fh:
            pickle.dump(entries, fh, protocol=pickle.HIGHEST_PROTOCOL)
        marker = self.spare / MARKER
        _unlink(marker)
        marker.write_text(token + "\n", encoding="ascii")
        if old_token:
            _unlink(self.manifests / f"{old_token}.pickle")

    def swap(self) -> None:
        """Make the spare the output and the output the spare, in one atomic exchange where Linux allows."""
        if not self.out.exists():
            os.rename(self.spare, self.out)
            return
        if _exchange(self.spare, self.out):
            return
        parked = self.state / f"parked-{secrets.token_hex(4)}"
        os.rename(self.out, parked)
        os.rename(self.spare, self.out)
        os.rename(parked, self.spare)


class Writer:
    """Brings the spare folder to the next generation, page by page."""

    def __init__(self, output: Output, base: dict, live: dict, token: str | None):
        self.output = output
        self.root = output.spare
        self.base = base  # rel → (key, digest): what the spare holds right now
        self.live = live  # the same for the live output, to hard-link from
        self.token = token
        self.seen: set[str] = set()
        self.written = 0
        self.linked = 0
        self._dirs: set[str] = set()
        self._log: list | None = None
        self._group_cache: dict[int, dict] = {}
        self.group_key = ""  # the key put() records when none is given (the scope being rendered)

    def track(self) -> None:
        """In a worker process: start recording changes, to be merged by the parent."""
        self._log, self.written, self.linked = [], 0, 0

    def tracked(self) -> list:
        return self._log or []

    def merge(self, entries: list, written: int) -> None:
        """Take over what a worker wrote."""
        for rel, entry in entries:
            self.base[rel] = entry
            self.seen.add(rel)
        self.written += written

    def _record(self, rel: str, entry: tuple) -> None:
        self.base[rel] = entry
        self.seen.add(rel)
        if self._log is not None:
            self._log.append((rel, entry))

    def keep(self, rel: str, key: str) -> bool:
        """True (and nothing to render) when a page made from the same inputs is already there or live."""
        entry = self.base.get(rel)
        if entry is not None and entry[0] == key:
            self.seen.add(rel)
            return True
        entry = self.live.get(rel)
        if entry is not None and entry[0] == key and self._link(rel):
            self._record(rel, entry)
            return True
        return False

    def keep_group(self, prefix: str, key: str) -> bool:
        """True (and nothing to render) when every file under `prefix` (one scope's pages) was made from `key`."""
        for manifest, link in ((self.base, False), (self.live, True)):
            rels = self._groups(manifest).get(prefix, [])
            if rels and all(manifest[rel][0] == key for rel in rels):
                for rel in rels:
                    if link and not self._link(rel):
                        return False
                    self._record(rel, manifest[rel])
                return True
        return False

    def _groups(self, manifest: dict) -> dict[str, list[str]]:
        cache = self._group_cache.get(id(manifest))
        if cache is None:
            cache = {}
            for rel in manifest:
                parts = rel.split("/", 2)
                # A county's batch print pages are kept by the household pass, with keys of their own.
                if len(parts) == 3 and parts[0] in ("s", "f") and not (len(parts[1]) == 6 and parts[2].startswith("print/")):
                    cache.setdefault(f"{parts[0]}/{parts[1]}/", []).append(rel)
            self._group_cache[id(manifest)] = cache
        return cache

    def put(self, rel: str, data: bytes | str, key: str = "") -> None:
        """Store one file's content, writing only when it differs from what is there."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        key = key or self.group_key
        found = digest(data)
        entry = self.base.get(rel)
        if entry is not None and entry[1] == found:
            self._record(rel, (key, found))
            return
        entry = self.live.get(rel)
        if entry is not None and entry[1] == found and self._link(rel):
            self._record(rel, (key, found))
            return
        path = self._prepare(rel)
        # Never write into an existing file: its inode may be shared with the live output.
        with open(path, "xb") as fh:
            fh.write(data)
        self._record(rel, (key, found))
        self.written += 1

    def put_file(self, rel: str, source: Path) -> None:
        self.put(rel, source.read_bytes())

    def finish(self) -> None:
        """Delete what the new generation no longer has and record the spare's manifest."""
        stale = [rel for rel in self.base if rel not in self.seen]
        folders = set()
        for rel in stale:
            _unlink(self.root / rel)
            del self.base[rel]
            folders.add(rel.rsplit("/", 1)[0] if "/" in rel else "")
        for folder in sorted(folders, key=lambda f: -f.count("/")):
            while folder:
                try:
                    os.rmdir(self.root / folder)
                except OSError:
                    break
                folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
        self.output.save(self.base, self.token)

    def abort(self) -> None:
        """After a failure: record what the spare really holds now, so the next build can still reuse it."""
        try:
            self.output.save(self.base, self.token)
        except OSError:
            pass

    def _prepare(self, rel: str) -> Path:
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if folder and folder not in self._dirs:
            os.makedirs(self.root / folder, exist_ok=True)
            self._dirs.add(folder)
        path = self.root / rel
        _unlink(path)
        return path

    def _link(self, rel: str) -> bool:
        path = self._prepare(rel)
        try:
            os.link(self.output.out / rel, path)
        except OSError:
            return False
        self.linked += 1
        return True


def _token(folder: Path) -> str | None:
    try:
        return (folder / MARKER).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two folders atomically; False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _clear_trash(state: Path) -> None:
    """Delete abandoned generations in the background: deleting a province takes long on slow disks."""
    trash = [p for p in state.glob("trash-*") if p.is_dir()]
    if trash:
        threading.Thread(target=lambda: [shutil.rmtree(p, ignore_errors=True) for p in trash], daemon=True).start()

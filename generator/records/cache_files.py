"""Where cache files live, the one fingerprint that names them, and how they are read back.

Caches are pickles, and unpickling runs code, so they live where no commit can put a file: in the git
directory of the archive (`<git dir>/bangfu-cache/`), or, for an archive outside git, in the user's cache
folder (`$XDG_CACHE_HOME/bangfu/<hash of the archive's path>/`). A `.bangfu-cache/` in a working tree (where
older versions kept them) is never read. Every cache file is named by one fingerprint of all inputs
(`inputs_key`): the whole program with its data and schemas, Python and the installed packages, and the
archive's settings; a change to any of them starts every cache afresh. And a cache is read back as plain
data and the program's own dataclasses only, never as any other object.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from generator import PACKAGE_DIR, gitrun
from generator.errors import WARNING, Problem
from generator.records import SETTINGS

FOLDER = "bangfu-cache"  # inside the git directory
LEGACY_DIR = ".bangfu-cache"  # where caches were once kept, in the working tree: never read, only warned about
SETTINGS_DIR = Path(SETTINGS)


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
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in ("GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")
    }
    try:
        done = gitrun.run(
            "-C", root, "rev-parse", "--absolute-git-dir", "--is-inside-git-dir", "--show-prefix", base=env, text=True
        )
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
DEPENDENCY_MODULES = (
    "mkdocs",
    "material",
    "yaml",
    "jinja2",
    "markupsafe",
    "jsonschema",
    "jsonschema_rs",
    "git",
    "stdnum",
    "click",
    "openpyxl",
    "markdown",
    "pymdownx",
)


@lru_cache(maxsize=1)
def program_key() -> str:
    """The running program: every file of the package (code, templates, region data, schemas), the Python
    version, and the name and version of every distribution installed where the dependencies are."""
    from generator.records.schema import SCHEMA_DIR

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


def fingerprint(*parts: bytes | str) -> str:
    """A short hash naming everything a cached result depends on."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


class _Unpickler(pickle.Unpickler):
    """Builds plain data and the program's own dataclasses only: no function, no other class is reachable,
    so a planted file cannot run code (caches live where no commit can write; this is the second wall)."""

    PLAIN = {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("decimal", "Decimal"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.PLAIN:
            return super().find_class(module, name)
        # never a module whose import runs something: generator.__main__ runs the command line of this very process
        parts = module.split(".")
        if (
            parts[0] == "generator"
            and len(parts) > 1
            and not any(p.startswith("_") for p in parts)
            and "." not in name
            and not name.startswith("_")
        ):
            found = getattr(sys.modules.get(module) or importlib.import_module(module), name, None)
            if isinstance(found, type) and dataclasses.is_dataclass(found) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache")


def load(fh) -> object:
    """Unpickle a cache or manifest the program wrote (plain data and the program's dataclasses only)."""
    return _Unpickler(fh).load()


def legacy_warning(root: Path) -> list[Problem]:
    """A warning when the working tree has a .bangfu-cache folder: ignored, and it must not be committed."""
    if not (Path(root) / LEGACY_DIR).exists():
        return []
    return [
        Problem(
            LEGACY_DIR,
            None,
            "",
            "",
            "legacy-cache",
            f"工作区中有 {LEGACY_DIR} 目录：本程序不会读取其中的任何文件（缓存现在放在 git 目录中）。"
            f"请删除它，且不要提交到仓库；合并请求中出现它时应拒绝。",
            WARNING,
        )
    ]

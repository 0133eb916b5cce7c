"""A merge's own changes: where its tree differs from git's automatic merge of its parents.

A merge approves what its branch brought; anything the merger changed while merging (an "evil merge", a
hand-made conflict resolution, a different merge strategy) is the merger's own change and needs its own approval.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator import gitrun
from generator.history.git import FileChange, GitArchive, RawCommit, parse_raw

OCTOPUS = None  # the verdict for a merge of more than two parents: git has no automatic result to compare with
CLEAN_LIST = "bangfu-clean-merges-v1"  # in the git directory: merges known to equal git's automatic result
_SHA = re.compile(r"[0-9a-f]{40}")


class OwnChanges:
    """Files where one merge's tree differs from the automatic merge: records/ (archive paths) and the rest."""

    def __init__(self, records: list[FileChange], outside: list[FileChange], conflicts: bool, failed: str = ""):
        self.records = records
        self.outside = outside
        self.conflicts = conflicts  # the automatic merge had conflicts: the difference includes their resolution
        self.failed = failed  # git could not redo the merge (a shallow clone, missing objects): nothing is known
        self.unreadable: set[str] = set()  # paths whose automatic version (with conflict markers) is not in the repository

    def __bool__(self) -> bool:
        return bool(self.records or self.outside or self.failed)


def own_changes(archive: GitArchive, merges: list[RawCommit], workers: int = 4) -> dict[str, OwnChanges | None]:
    """sha → the merger's own changes (empty when the merge is git's automatic result); None for octopus merges.

    One `git merge-tree --write-tree` per two-parent merge not checked before, run a few at a time; the trees
    it writes go to a throwaway object directory, so auditing never adds objects to the repository (or to a push's
    quarantine). A merge's id fixes its parents and its tree, so a clean verdict is kept in the git directory
    (a plain list of commit ids, never a file a commit can ship).
    """
    out: dict[str, OwnChanges | None] = {m.sha: OCTOPUS for m in merges if len(m.parents) > 2}
    clean_list = Path(archive.git_dir) / CLEAN_LIST
    known = _known_clean(clean_list)
    pairs = [m for m in merges if len(m.parents) == 2 and m.sha not in known]
    out.update({m.sha: OwnChanges([], [], False) for m in merges if len(m.parents) == 2 and m.sha in known})
    if not pairs:
        return out
    with tempfile.TemporaryDirectory(prefix="bangfu-merge-") as scratch:
        env = _env(archive, Path(scratch))
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pairs)))) as pool:
            for merge, result in zip(pairs, pool.map(lambda m: _one(archive, m, env), pairs), strict=True):
                out[merge.sha] = result
        written = {f"{p.parent.name}{p.name}" for p in Path(scratch).glob("??/*")}  # git never rewrites a known object
        for merge in pairs:
            result = out[merge.sha]
            result.unreadable = {f.path for f in result.records + result.outside if f.old_blob in written}
    _remember_clean(clean_list, [m.sha for m in pairs if not out[m.sha]])
    return out


def _known_clean(path: Path) -> set[str]:
    try:
        return {line for line in path.read_text(encoding="ascii", errors="replace").split() if _SHA.fullmatch(line)}
    except OSError:
        return set()


def _remember_clean(path: Path, shas: list[str]) -> None:
    if not shas:
        return
    try:  # one appending write: concurrent runs interleave whole lines at worst, and a torn line matches nothing
        with open(path, "a", encoding="ascii") as out:
            out.write("".join(f"{sha}\n" for sha in shas))
    except OSError:
        pass  # a read-only repository is checked afresh each time


def _one(archive: GitArchive, merge: RawCommit, env: dict) -> OwnChanges:
    done = _git(env, "merge-tree", "--write-tree", "--no-messages", "--name-only", merge.parents[0], merge.parents[1])
    if done.returncode not in (0, 1) or not done.stdout:
        return OwnChanges([], [], False, _last_line(done.stderr))
    automatic = done.stdout.split(b"\n", 1)[0].decode()
    if automatic == merge.tree:
        return OwnChanges([], [], False)
    diff = _git(env, "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", automatic, merge.tree)
    if diff.returncode:
        return OwnChanges([], [], False, _last_line(diff.stderr))
    outside: list[FileChange] = []
    records = parse_raw(diff.stdout.decode("utf-8", "replace"), archive.prefix, outside)
    return OwnChanges(records, outside, done.returncode == 1)


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "git 出错"


def _git(env: dict, *args: str) -> subprocess.CompletedProcess:
    return gitrun.run(*args, env=env)


def _env(archive: GitArchive, scratch: Path) -> dict:
    """Read the repository's objects (and a push's quarantine), write new ones only to scratch."""
    git_dir = str(Path(archive.git_dir).resolve())
    common = str(Path(archive.repo.common_dir).resolve())
    current = os.environ.get("GIT_OBJECT_DIRECTORY") or os.path.join(common, "objects")
    alternates = [current, *filter(None, os.environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES", "").split(os.pathsep))]
    (scratch / "info").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "GIT_DIR": git_dir,
        "GIT_OBJECT_DIRECTORY": str(scratch),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": os.pathsep.join(alternates),
        "GIT_NO_REPLACE_OBJECTS": "1",
    }

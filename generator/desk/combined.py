"""Before an approving merge: what main would hold with the request on it, checked as the CLI checks it.

A request may be valid on the main it started from and wrong on main as it is now (another approved change moved
the family's numbers, or gave the same person a second archive). Every record the request changes is therefore
checked again as the merge would write it: the CLI's record checks (generator.validation.validate.check_record)
and its cross-record checks (一人一档) against the households on main that share an ID number with it, found
with one `git grep` instead of loading the province.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator import gitrun
from generator.clock import today
from generator.desk.plumbing import MAIN, Git, PlumbingError, Request
from generator.desk.reapply import Clash, merged_files
from generator.errors import Problem
from generator.records.load import Record, parse_bytes
from generator.rules.standards import STANDARDS_PATH, parse_standards
from generator.validation.validate import Context, check_record, cross_record, summarise


@dataclass
class Combined:
    """The request on main as it is now: git's merge or the field-by-field re-apply, and its problems."""

    main: str
    clean: bool  # git's own merge applies: nothing to re-apply
    files: dict[str, bytes] = field(default_factory=dict)  # path → the record as the merge writes it
    clashes: list[Clash] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def combine(git: Git, request: Request, choices: dict[str, str] | None = None) -> Combined:
    """The request's records as they would be merged onto main now, and the CLI's verdict on them."""
    main = git.resolve(MAIN)
    if main is None:
        raise PlumbingError("档案库没有 main 分支。")
    tree = _merge_tree(git, main, request.head) if not choices else None
    if tree is not None:
        files = {p: git.blob(tree, p) for p in git.changed(main, request.head)}
        out = Combined(main, True, {p: raw for p, raw in files.items() if raw is not None})
    else:
        files, clashes = merged_files(git, request, main, choices)
        out = Combined(main, False, files, clashes)
        if clashes:
            return out
    out.problems = check_files(git, main, out.files)
    return out


def main_context(git: Git, root: Path, main: str, day) -> Context:
    """A Context whose standards are read from main's commit (not the working tree); an empty main reads none."""
    raw = git.blob(main, STANDARDS_PATH) if main else None
    if raw is None:
        return Context(root, day)
    return Context(root, day, parse_standards(raw, STANDARDS_PATH))


def check_files(git: Git, main: str, files: dict[str, bytes]) -> list[Problem]:
    """Record checks of each file, and 一人一档 against the other households on main with the same ID numbers."""
    ctx = main_context(git, git.root, main, today())
    problems: list[Problem] = []
    records: dict[str, Record] = {}
    for path, raw in files.items():
        record, found = parse_bytes(raw, path)
        if record is None:
            problems += found
            continue
        problems += check_record(record, ctx)
        records[path] = record
    ids = sorted({number for r in records.values() for _, number in summarise(r).ids})
    others = [p for p in _holding(git, main, ids) if p not in files]
    for path, raw in git.blobs(main, others).items():
        record, _ = parse_bytes(raw, path)
        if record is not None:
            records[path] = record
    cross = cross_record([summarise(r) for r in records.values()], ctx, records)
    return problems + [p for p in cross if p.path in files]


def messages(problems: list[Problem]) -> list[str]:
    """Each problem in the CLI's words (file, line, field, message)."""
    return [p.to_text() for p in problems]


def _merge_tree(git: Git, main: str, head: str) -> str | None:
    done = gitrun.run("-C", str(git.root), "merge-tree", "--write-tree", "--no-messages", main, head, base=git.env)
    tree = done.stdout.decode().split("\n", 1)[0].strip()
    return tree if done.returncode == 0 and len(tree) == 40 else None


def _holding(git: Git, commit: str, ids: list[str]) -> list[str]:
    """Household files at `commit` whose text contains one of the ID numbers (candidates; parsed and checked after)."""
    if not ids:
        return []
    patterns = [arg for number in ids for arg in ("-e", number)]
    done = gitrun.run("-C", str(git.root), "grep", "-l", "-z", "-F", *patterns, commit, "--", "records/", base=git.env)
    if done.returncode not in (0, 1):
        raise PlumbingError(f"git grep 失败：{done.stderr.decode('utf-8', 'replace').strip()[-300:]}")
    prefix = f"{commit}:"
    return [p.removeprefix(prefix) for p in done.stdout.decode("utf-8", "replace").split("\0") if p.startswith(prefix)]

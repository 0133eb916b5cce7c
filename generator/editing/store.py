"""The archive as the editing commands see it: load once, change copies, validate everything, then write atomically."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.errors import Problem, RecordError, UsageError
from generator.records.dump import dump_record
from generator.records.files import write_all
from generator.records.load import RECORD_DIR, Record, load_tree, parse_bytes
from generator.rules.regions import regions
from generator.validation.validate import Context, check_record, cross_record, summarise


def check_scope(code: str) -> str:
    """A region code the province knows (province, city or county), or a UsageError."""
    table = regions()
    if code not in table:
        raise UsageError(f"地区代码 {code} 不是本省的行政区划代码（应为省 46、市如 4601 或县如 460105）。")
    return code


def record_path(region: str, number: str) -> str:
    """records/<county>/<职工编号>.yaml"""
    return f"{RECORD_DIR}/{region}/{number}.yaml"


@dataclass
class RecordStore:
    """Every record of the archive, loaded once (through the parse cache), and the edits not yet written."""

    root: Path
    ctx: Context
    records: list[Record]
    unreadable: list[Problem]
    changes: dict[str, dict] = field(default_factory=dict)
    extra: dict[Path, bytes] = field(default_factory=dict)
    _across: dict[str, list[Problem]] | None = None

    @classmethod
    def open(cls, root: Path, ctx: Context | None = None) -> RecordStore:
        """Load the archive under root."""
        loaded = load_tree(root)
        return cls(root, ctx or Context(root), loaded.records, [p for p in loaded.problems if p.is_error])

    def in_scope(self, scope: str | None) -> list[Record]:
        """Records whose county lies in scope (all when None), by 职工编号."""
        table = regions()
        chosen = [r for r in self.records if scope is None or table.contains(scope, r.county)]
        return sorted(chosen, key=lambda r: r.path)

    def by_number(self) -> dict[str, Record]:
        return {r.data.get("职工编号"): r for r in self.records if isinstance(r.data.get("职工编号"), str)}

    def edit(self, record: Record) -> dict:
        """A private copy of the record's data to change (cached records are shared)."""
        if record.path not in self.changes:
            self.changes[record.path] = copy.deepcopy(record.data)
        return self.changes[record.path]

    def add(self, path: str, data: dict) -> None:
        self.changes[path] = data

    def attach(self, path: Path, content: bytes) -> None:
        """Another file to write with the records (a printable list, a worksheet)."""
        self.extra[path] = content

    def errors_of(self, record: Record) -> list[Problem]:
        """The errors of an unchanged record, its own and across records (they keep a household out of a batch)."""
        if self._across is None:
            self._across = {}
            for problem in cross_record([summarise(r) for r in self.records], self.ctx):
                if problem.is_error:
                    self._across.setdefault(problem.path, []).append(problem)
        return [p for p in check_record(record, self.ctx) if p.is_error] + self._across.get(record.path, [])

    def validate(self, *, skip=None) -> list[Problem]:
        """Every problem of the changed records, checked as the exact bytes that would be written."""
        problems: list[Problem] = []
        fresh: dict[str, Record] = {}
        for path, data in self.changes.items():
            record, parsed = parse_bytes(dump_record(data).encode("utf-8"), path)
            problems += parsed
            if record is None:
                continue
            fresh[path] = record
            problems += [p for p in check_record(record, self.ctx) if not (skip and skip(p))]
        summaries = [summarise(r) for r in self.records if r.path not in fresh] + [summarise(r) for r in fresh.values()]
        problems += [p for p in cross_record(summaries, self.ctx, fresh) if p.path in fresh and not (skip and skip(p))]
        return problems

    def save(self, *, skip=None) -> list[str]:
        """Validate every change, then write all of them; on any error write nothing and raise RecordError."""
        problems = self.validate(skip=skip)
        errors = [self.on_disk(p) for p in problems if p.is_error]
        if errors:
            raise RecordError(f"发现 {len(errors)} 个错误，未写入任何文件：", sorted(errors, key=lambda p: (p.path, p.line or 0)))
        return self.write()

    def on_disk(self, problem: Problem) -> Problem:
        """A problem of a change, located in the file as it is now: the line of the changed text does not exist yet.

        A value the file already has keeps its line there; a value the command would add has none and says so.
        """
        if problem.path not in self.changes:
            return problem
        before = next((r for r in self.records if r.path == problem.path), None)
        line = before.lines.get(problem.pointer) if before is not None and problem.pointer else None
        if line is not None:
            return replace(problem, line=line)
        return replace(problem, line=None, message=f"（本次要写入的内容）{problem.message}")

    def write(self) -> list[str]:
        """Write every change and attached file (the caller has validated them)."""
        texts = {self.root / path: dump_record(data).encode("utf-8") for path, data in self.changes.items()}
        write_all({**texts, **self.extra})
        return sorted(self.changes)

"""Live checking of the household form: the CLI's checks, the eligibility trace and 一人一档 against main, as JSON.

The same functions as `bangfu validate` and `bangfu explain` answer (schema, fields, rules, working cycle; the
trace as explain prints it; validate's cross-record checks). For the cross-record checks each process keeps an
index of main's records (identity numbers and 职工编号 → their summaries), built once per main commit from git's
objects and then updated by blob: a check looks up only the few households that share a number with the form.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g, jsonify, redirect, request, url_for

from generator.clock import today
from generator.desk import form as desk_form
from generator.desk.drafts import Drafts
from generator.desk.plumbing import RECORD, Git
from generator.errors import Problem, RecordError
from generator.parallel import no_gc
from generator.records import schema_check
from generator.records.dump import dump_record
from generator.records.load import Record, parse_bytes
from generator.rules.assess import assess
from generator.validation.validate import Context, Summary, check_record, cross_record, summarise

log = logging.getLogger("bangfu.desk")


class _NoLine:
    """Stands for another household in cross_record: its line is not needed (only the form's problems are kept)."""

    @staticmethod
    def line_of(_pointer: str) -> None:
        return None


class Index:
    """Main's records as the cross-record checks need them, keyed by main's commit (one per process)."""

    def __init__(self, git: Git):
        self.git = git
        self.at: str | None = None
        self._lock = threading.Lock()
        self._by_blob: dict[tuple[str, str], Summary | None] = {}
        self._by_id: dict[str, list[Summary]] = {}
        self._by_number: dict[object, list[Summary]] = {}

    def update(self, main: str) -> None:
        """Read main's tree; parse only the files whose blob the index has not seen (all of them the first time)."""
        if main == self.at:
            return
        with self._lock:
            if main == self.at:
                return
            out = self.git.run("ls-tree", "-r", "-z", main, "--", "records/")
            entries: list[tuple[str, str]] = []
            for line in out.split("\0"):
                head, _, path = line.partition("\t")
                parts = head.split()
                if len(parts) == 3 and parts[1] == "blob" and RECORD.fullmatch(path):
                    entries.append((path, parts[2]))
            missing = [(path, blob) for path, blob in entries if (path, blob) not in self._by_blob]
            by_blob = {key: self._by_blob[key] for key in entries if key in self._by_blob}
            with no_gc():
                for start in range(0, len(missing), 2000):
                    chunk = missing[start : start + 2000]
                    raws = self.git.blobs(main, [path for path, _ in chunk])
                    for path, blob in chunk:
                        record, _ = parse_bytes(raws.get(path, b""), path, blob=blob)
                        by_blob[(path, blob)] = summarise(record) if record is not None else None
            by_id: dict[str, list[Summary]] = defaultdict(list)
            by_number: dict[object, list[Summary]] = defaultdict(list)
            for summary in by_blob.values():
                if summary is None:
                    continue
                by_number[summary.number].append(summary)
                for _, number in summary.ids:
                    by_id[number].append(summary)
            self._by_blob, self._by_id, self._by_number = by_blob, dict(by_id), dict(by_number)
            self.at = main

    def clashes(self, record: Record, ctx: Context) -> list[Problem]:
        """validate's cross-record problems of this record (一人一档, 职工编号, path) against main's other records."""
        mine = summarise(record)
        others: dict[str, Summary] = {}
        for _, number in mine.ids:
            for s in self._by_id.get(number, ()):
                others[s.path] = s
        for s in self._by_number.get(mine.number, ()) if mine.number is not None else ():
            others[s.path] = s
        others.pop(record.path, None)  # the household as it is on main: the form replaces it
        loaded = {path: _NoLine() for path in others} | {record.path: record}
        found = cross_record([mine, *others.values()], ctx, loaded)  # type: ignore[arg-type]
        return [p for p in found if p.path == record.path]


class Checker:
    """One process's checker: the archive's standards and main's index, both read again when main moves."""

    def __init__(self, git: Git, root: Path):
        self.git = git
        self.root = Path(root)
        self.index = Index(git)
        self._ctx: Context | None = None
        self._ctx_at: tuple[str, object] | None = None

    def context(self, main: str) -> Context:
        key = (main, today())
        if self._ctx is None or self._ctx_at != key:
            self._ctx, self._ctx_at = Context(self.root, key[1]), key
        return self._ctx

    def check(self, path: str, data: dict, main: str | None = None) -> tuple[list[Problem], object]:
        """(problems as the CLI reports them, the eligibility trace or None) for the record as the form has it."""
        try:
            text = dump_record(data)
        except (TypeError, ValueError) as exc:
            return [Problem(path, None, "", "", "desk-value", f"无法写成档案：{exc}")], None
        record, problems = parse_bytes(text.encode("utf-8"), path)
        if record is None:
            return problems, None
        main = main or self.git.resolve("refs/heads/main")
        ctx = self.context(main or "")
        problems = check_record(record, ctx)
        if main:
            self.index.update(main)
            problems += self.index.clashes(record, ctx)
        trace = None
        if not any(p.is_error for p in schema_check.check(record)):
            try:
                trace = assess(record.data, record.county, ctx.standards, ctx.today)
            except (RecordError, KeyError, TypeError, ValueError):
                trace = None
        return problems, trace


def messages(problems: list[Problem], data: dict) -> dict[str, list[str]]:
    """Problems by the form name they are shown beside ("" for those of the whole record), in the CLI's words."""
    known = desk_form.places(data)
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(desk_form.place(p.pointer, known), []).append(f"{'错误' if p.is_error else '提示'}：{p.message}")
    return out


def trace_lines(trace) -> list[str]:
    """The trace as `bangfu explain` prints it, line by line."""
    return trace.to_text().splitlines() if trace is not None else []


def answer(problems: list[Problem], trace, data: dict) -> dict:
    return {
        "errors": sum(1 for p in problems if p.is_error),
        "warnings": sum(1 for p in problems if not p.is_error),
        "problems": messages(problems, data),
        "trace": trace_lines(trace),
        "conclusion": trace.conclusion() if trace is not None else "",
    }


def register(app: Flask, checker: Checker, drafts: Drafts, target: Callable[[object, str], tuple[str, dict, bool]]) -> None:
    """The live check and the draft views; `target(user, number)` checks scope (403, logged) and gives the base record."""

    @app.post("/desk/live/<number>")
    def live_check(number: str):
        user = g.user
        path, data, _fresh = target(user, number)
        first, every = desk_form.from_items(request.form.items(multi=True))
        new = desk_form.apply(data, first, every)
        problems, trace = checker.check(path, new, g.main)
        log.info("desk live: user=%s household=%s errors=%d", user.login, number, sum(p.is_error for p in problems))
        return jsonify(answer(problems, trace, new))

    @app.post("/desk/draft/<number>")
    def save_draft(number: str):
        user = g.user
        target(user, number)
        items = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "action")]
        try:
            saved = drafts.save(user.login, number, g.main, items)
        except ValueError as exc:
            return jsonify({"saved": "", "error": str(exc)}), 409
        log.info("desk draft: user=%s household=%s", user.login, number)
        return jsonify({"saved": saved})

    @app.post("/desk/draft/<number>/discard")
    def discard_draft(number: str):
        user = g.user
        _path, _data, fresh = target(user, number)
        drafts.delete(user.login, number)
        log.info("desk draft discarded: user=%s household=%s", user.login, number)
        if fresh:
            return redirect(url_for("index"), code=303)
        return redirect(url_for("household", number=number), code=303)

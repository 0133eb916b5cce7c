"""Live checking of the household form: the CLI's checks, the eligibility trace and 一人一档 against main, as JSON.

The same functions as `bangfu validate` and `bangfu explain` answer (schema, fields, rules, working cycle; the
trace as explain prints it; validate's cross-record checks). For the cross-record checks each process keeps an
index of main's records (identity numbers and 职工编号 → their summaries), built once per main commit from git's
objects and then updated by blob: a check looks up only the few households that share a number with the form.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g, jsonify, redirect, request, url_for

from generator import gitrun
from generator.clock import today
from generator.desk import form as desk_form
from generator.desk.combined import main_context
from generator.desk.drafts import Drafts
from generator.desk.plumbing import RECORD, Git
from generator.errors import Problem, RecordError
from generator.records import schema_check
from generator.records.dump import dump_record
from generator.records.files import atomic_file
from generator.records.load import Record, parse_bytes
from generator.rules.assess import assess
from generator.validation.checks import id_numbers
from generator.validation.validate import Context, Summary, check_record, cross_record, summarise

log = logging.getLogger("bangfu.desk")


class _NoLine:
    """Stands for another household in cross_record: its line is not needed (only the form's problems are kept)."""

    @staticmethod
    def line_of(_pointer: str) -> None:
        return None


# Any 18-character identity number and any 10-digit 职工编号 a file holds, however it is written: candidates only.
_TOKENS = re.compile(rb"[0-9Xx]{10,}")  # then kept when 10 or 18 long (one simple class scans fastest)
_CHUNK = 2000


def _contents(git: Git, blobs: list[str]) -> list[bytes]:
    """The contents of these blobs, in order, through one `git cat-file --batch` (by id: no tree walk per file)."""
    done = gitrun.run("-C", str(git.root), "cat-file", "--batch", input="".join(f"{b}\n" for b in blobs).encode(), base=git.env)
    data, i, out = done.stdout, 0, []
    for _ in blobs:
        end = data.find(b"\n", i)
        head = data[i:end].split() if end >= 0 else []
        if len(head) != 3 or head[1] != b"blob":
            out.append(b"")
            i = end + 1 if end >= 0 else len(data)
            continue
        size = int(head[2])
        out.append(data[end + 1 : end + 1 + size])
        i = end + 1 + size + 1
    return out


class Index:
    """Main's records as the cross-record checks need them, keyed by main's commit (one per process).

    For each file of main it keeps the numbers that appear in it (18-character identity numbers and 10-digit
    职工编号, found in the raw bytes however the YAML writes them), by blob, so moving main rereads only changed
    files. A check parses just the few files that share a number with the form and runs validate's own
    cross_record on them: the index only narrows which households to compare, it never decides a problem.
    """

    def __init__(self, git: Git, state: Path | None = None):
        self.git = git
        self.state = state  # <git dir>/bangfu-desk: the scanned numbers by blob, so a new worker rescans only changes
        self.at: str | None = None
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[bytes, ...]] = {}
        self._where: dict[bytes, tuple[str, ...]] = {}
        self._summaries: dict[tuple[str, str], Summary | None] = {}
        self._blobs: dict[str, str] = {}

    def update(self, main: str) -> None:
        """Read main's tree; scan only the files whose blob the index has not seen (all of them the first time)."""
        if main == self.at:
            return
        with self._lock:
            if main == self.at:
                return
            out = self.git.run("ls-tree", "-r", "-z", main, "--", "records/")
            blobs: dict[str, str] = {}
            for line in out.split("\0"):
                head, _, path = line.partition("\t")
                parts = head.split()
                if len(parts) == 3 and parts[1] == "blob" and RECORD.fullmatch(path):
                    blobs[path] = parts[2]
            known = self._tokens or self._read_state()
            tokens = {key: known[key] for key in blobs.items() if key in known}
            missing = [(path, blob) for path, blob in blobs.items() if (path, blob) not in tokens]
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
                for key, raw in zip(chunk, _contents(self.git, [blob for _, blob in chunk]), strict=True):
                    tokens[key] = tuple({t for t in _TOKENS.findall(raw) if len(t) in (10, 18)})
            if missing:
                self._write_state(tokens)
            where: dict[bytes, list[str]] = defaultdict(list)
            for (path, _), found in tokens.items():
                for token in found:
                    where[token].append(path)
            self._tokens, self._blobs = tokens, blobs
            self._where = {token: tuple(paths) for token, paths in where.items()}
            self._summaries = {key: value for key, value in self._summaries.items() if key in tokens}
            self.at = main

    def _state_file(self) -> Path | None:
        return self.state / "numbers.json" if self.state is not None else None

    def _read_state(self) -> dict[tuple[str, str], tuple[bytes, ...]]:
        target = self._state_file()
        try:
            body = json.loads(target.read_bytes()) if target is not None else {}
            return {(path, blob): tuple(t.encode("ascii") for t in found) for path, (blob, found) in body.items()}
        except (OSError, ValueError, TypeError, AttributeError, UnicodeEncodeError):
            return {}  # no state yet, or unreadable: scan again

    def _write_state(self, tokens: dict[tuple[str, str], tuple[bytes, ...]]) -> None:
        target = self._state_file()
        if target is None:
            return
        body = {path: [blob, [t.decode("ascii") for t in found]] for (path, blob), found in tokens.items()}
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with atomic_file(target, mode=0o600) as fh:
                fh.write(json.dumps(body, separators=(",", ":")).encode("ascii"))
        except OSError as exc:
            log.warning("desk cannot keep its index of numbers in %s: %s", target, exc)

    def _summary(self, path: str) -> Summary | None:
        key = (path, self._blobs[path])
        if key not in self._summaries:
            record, _ = parse_bytes(self.git.blob(self.at, path) or b"", path, blob=key[1])
            self._summaries[key] = summarise(record) if record is not None else None
        return self._summaries[key]

    def clashes(self, record: Record, ctx: Context) -> list[Problem]:
        """validate's cross-record problems of this record (一人一档, 职工编号, path) against main's other records."""
        mine = summarise(record)
        numbers = [n for _, n in mine.ids] + ([mine.number] if isinstance(mine.number, str) else [])
        paths = {p for n in numbers for p in self._where.get(n.encode("utf-8", "replace"), ()) if p != record.path}
        others = [s for s in (self._summary(p) for p in sorted(paths)) if s is not None]
        loaded = {s.path: _NoLine() for s in others} | {record.path: record}
        found = cross_record([mine, *others], ctx, loaded)  # type: ignore[arg-type]
        return [p for p in found if p.path == record.path]


class Checker:
    """One process's checker: the archive's standards and main's index, both read again when main moves."""

    def __init__(self, git: Git, root: Path):
        self.git = git
        self.root = Path(root)
        self.index = Index(git, Path(git.run("rev-parse", "--absolute-git-dir")) / "bangfu-desk")
        self._ctx: Context | None = None
        self._ctx_at: tuple[str, object] | None = None

    def warm(self) -> None:
        """Build the index in the background now, so the first live check of a new worker does not wait for it."""

        def build() -> None:
            try:
                main = self.git.resolve("refs/heads/main")
                if main:
                    self.index.update(main)
            except Exception as exc:  # noqa: BLE001 - a failed warm-up only means the first check builds it
                log.warning("desk could not prepare its index of numbers: %s", exc)

        threading.Thread(target=build, name="bangfu-desk-index", daemon=True).start()

    def context(self, main: str) -> Context:
        """The checks' context with the standards as approved on main: the server copy's working tree is not
        moved by the desk's merges (they are written with plumbing), so it may hold older standards."""
        key = (main, today())
        if self._ctx is None or self._ctx_at != key:
            self._ctx, self._ctx_at = main_context(self.git, self.root, main, key[1]), key
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
        valid = not any(p.is_error for p in schema_check.check_schema(record))
        if not valid:  # check_record stopped at the schema: the ID numbers typed so far are checked all the same
            problems += early_id_problems(record)
        if main:
            self.index.update(main)
            problems += self.index.clashes(record, ctx)
        trace = None
        if valid:
            try:
                trace = assess(record.data, record.county, ctx.standards, ctx.today)
            except (RecordError, KeyError, TypeError, ValueError):
                trace = None
        return problems, trace


_ID = re.compile(r"[0-9]{17}[0-9X]")


def early_id_problems(record: Record) -> list[Problem]:
    """The ID number checks of a form that is not yet schema-valid (a new household still missing required fields):
    check_record runs them only on a schema-valid record, so without this a wrong check digit typed first would be
    said only after the last required field. Only numbers of the schema's form are checked (others have their own
    schema problem), each in its place: the same messages as `bangfu validate` gives once the form is complete."""
    data = record.data

    def kept(person):
        if not isinstance(person, dict):
            return person
        number = person.get("身份证号")
        return {**person, "身份证号": number if isinstance(number, str) and _ID.fullmatch(number) else None}

    members = data.get("家庭主要成员")
    shown = {**kept(data), "家庭主要成员": [kept(m) for m in members] if isinstance(members, list) else []}
    return id_numbers(record, shown)


def messages(problems: list[Problem], data: dict, where: dict | None = None) -> dict[str, list[str]]:
    """Problems by the form name they are shown beside ("" for those of the whole record), in the CLI's words;
    `where` (from form.apply) names the browser's rows when the page is not drawn again from the record."""
    known = desk_form.places(data)
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(desk_form.place(p.pointer, known, where), []).append(f"{'错误' if p.is_error else '提示'}：{p.message}")
    return out


def trace_lines(trace) -> list[str]:
    """The trace as `bangfu explain` prints it, line by line."""
    return trace.to_text().splitlines() if trace is not None else []


def answer(problems: list[Problem], trace, data: dict, where: dict | None = None) -> dict:
    return {
        "errors": sum(1 for p in problems if p.is_error),
        "warnings": sum(1 for p in problems if not p.is_error),
        "problems": messages(problems, data, where),
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
        rows: dict = {}
        new = desk_form.apply(data, first, every, rows)
        problems, trace = checker.check(path, new, g.main)
        log.info("desk live: user=%s household=%s errors=%d", user.login, number, sum(p.is_error for p in problems))
        return jsonify(answer(problems, trace, new, rows))

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

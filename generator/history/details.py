"""What a change did to a household: field diffs and eligibility before/after, cached by blob pair."""

from __future__ import annotations

import datetime as dt
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator.access.privacy import mask_name
from generator.errors import RecordError
from generator.history.diff import FieldChange, diff_records
from generator.parallel import context, workers
from generator.records import cache
from generator.records.load import RECORDS_CACHE, parse_bytes

CACHE_NAME = "history"
CHUNK = 400
WAVE = 12  # chunks per set of worker processes
USE_RECORDS_CACHE_FROM = 3000  # reading the build's parse cache of a province costs seconds; worth it for many blobs
NOT_ASSESSED = "无法认定"


@dataclass(frozen=True)
class Details:
    """The field-level diff and the eligibility verdict before and after (None: no record on that side)."""

    fields: tuple[FieldChange, ...] = ()
    before: str | None = None
    after: str | None = None
    problem: str = ""  # a version that could not be read, in Chinese
    name: str = ""  # the worker's name, masked, from the newer version
    unrelated: bool = False  # git paired two files as a rename, but they are different people: a new file

    def eligibility_line(self) -> str:
        """认定结果：低保边缘户 → 意外致困户 / 认定结果不变：低保户."""
        if self.before is None and self.after is None:
            return ""
        if self.after is None:
            return f"认定结果：{self.before} → （档案已删除）"
        if self.before is None:
            return f"认定结果：{self.after}"
        if self.before == self.after:
            return f"认定结果不变：{self.after}"
        return f"认定结果：{self.before} → {self.after}"

    @property
    def eligibility_changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after

    def lines(self) -> list[str]:
        """The diff as Chinese lines, then the eligibility consequence."""
        out = [f.text() for f in self.fields]
        if self.problem:
            out.append(self.problem)
        line = self.eligibility_line()
        return out + ([line] if line else [])

    def to_dict(self) -> dict:
        return {
            "字段": [f.to_dict() for f in self.fields],
            "认定结果（修改前）": self.before,
            "认定结果（修改后）": self.after,
            "问题": self.problem or None,
            "说明": self.lines(),
        }


@dataclass(frozen=True)
class Side:
    """One version of a household: its blob, its county and the standards in force (blob ids)."""

    blob: str | None
    path: str | None
    standards: str | None
    day: str  # the date the version is judged on (YYYY-MM-DD)

    @property
    def county(self) -> str:
        parts = (self.path or "").split("/")
        return parts[1] if len(parts) == 3 else ""


@dataclass(frozen=True)
class Request:
    """What to compare: the version before a change and the version after it."""

    before: Side
    after: Side

    @property
    def key(self) -> tuple:
        return (self.before.blob, self.after.blob, _side_key(self.before), _side_key(self.after))


def _side_key(side: Side) -> tuple:
    return (side.county, side.standards, side.day) if side.blob else ()


@dataclass
class Computer:
    """Computes Details for requests, reading blobs through `read` and caching results under root."""

    root: Path
    read_many: object  # callable [blob id] → {blob id: bytes}
    _cache: dict | None = None
    _dirty: bool = False
    _known: dict = field(default_factory=dict)  # blob id → record data already parsed elsewhere
    _used: set = field(default_factory=set)

    def details(self, requests: list[Request], known: dict | None = None) -> list[Details]:
        """Details for each request, in order; computed in bulk (in parallel when many), cached.

        known: blob id → record data parsed already (the build's records), so those blobs are not parsed again.
        """
        stored = self._stored()
        self._used.update(r.key for r in requests)
        missing = list({r.key: r for r in requests if r.key not in stored}.values())
        if missing:
            if known is None and len(missing) >= USE_RECORDS_CACHE_FROM:
                known = _parsed_records(self.root)
            self._known = known or {}
            for request, result in zip(missing, self._compute(missing), strict=True):
                stored[request.key] = result
            self._dirty = True
        return [stored[r.key] for r in requests]

    def save(self) -> None:
        """Write the cache once at the end of a run (never per change)."""
        if self._dirty and self._cache is not None:
            items = self._cache
            if len(self._used) * 2 > len(items):  # a whole build: forget what no page needs any more
                items = {k: v for k, v in items.items() if k in self._used}
            cache.write(self.root, CACHE_NAME, {"items": items})  # named by cache.inputs_key: schema, code, data
            self._dirty = False

    def _stored(self) -> dict:
        if self._cache is None:
            saved = cache.read(self.root, CACHE_NAME)
            self._cache = saved.get("items", {})
        return self._cache

    def _compute(self, requests: list[Request]) -> list[Details]:
        # A household's versions share blobs (one change's new file is the next one's old file): keep them
        # in one chunk so each blob is parsed once.
        order = sorted(range(len(requests)), key=lambda i: requests[i].after.path or "")
        results = self._compute_in_order([requests[i] for i in order])
        out: list = [None] * len(requests)
        for position, result in zip(order, results, strict=True):
            out[position] = result
        return out

    def _compute_in_order(self, requests: list[Request]) -> list[Details]:
        standards = self.read_many([s.standards for r in requests for s in (r.before, r.after) if s.standards])
        chunks = [requests[i : i + CHUNK] for i in range(0, len(requests), CHUNK)]
        count = workers("details", len(requests))
        if count == 1:
            return [d for chunk in chunks for d in _work(self._with_blobs(chunk, False), standards)]
        out: list[Details] = []
        pending: deque = deque()
        # Forked workers inherit the already parsed records, so chunks carry blob ids, not whole records.
        start = context()
        inherit = start.get_start_method() == "fork"
        # A forked worker copies each page of the inherited records it touches (reference counts); new
        # workers for every wave of chunks keep those copies from adding up to a second province in memory.
        for wave in range(0, len(chunks), WAVE):
            with ProcessPoolExecutor(count, start, _inherit, (self._known if inherit else {},)) as pool:
                # Blobs are read chunk by chunk while workers parse, so a province never sits in memory at once.
                for chunk in chunks[wave : wave + WAVE]:
                    pending.append(pool.submit(_work, self._with_blobs(chunk, inherit), standards))
                    if len(pending) > 2 * count:
                        out.extend(pending.popleft().result())
                while pending:
                    out.extend(pending.popleft().result())
        return out

    def _with_blobs(self, chunk: list[Request], inherited: bool) -> list[tuple]:
        """Each request with its two versions: parsed data when known (a reference to it when the workers
        inherited it), else the blob's bytes, None when absent."""
        raw = self.read_many([b for r in chunk for b in (r.before.blob, r.after.blob) if b and b not in self._known])

        def version(blob: str | None):
            if blob is None:
                return None
            if inherited and blob in self._known:
                return _Inherited(blob)
            return self._known.get(blob, raw.get(blob))

        return [(r, version(r.before.blob), version(r.after.blob)) for r in chunk]


def _parsed_records(root: Path) -> dict:
    """Blob id → data of the records the last load parsed (the loader's cache, generator.records.load), if any."""
    out = {}
    for key, entry in cache.read_every_shard(root, RECORDS_CACHE).items():
        data = getattr(entry[0], "data", entry[0]) if isinstance(entry, tuple) and entry else None
        if isinstance(key, tuple) and len(key) == 2 and isinstance(data, dict):
            out[key[1]] = data
    return out


def _work(items, standards_raw: dict) -> list[Details]:
    parsed: dict = {}
    return [_one(request, old, new, standards_raw, parsed) for request, old, new in items]


def _one(request: Request, old_version, new_version, standards_raw: dict, parsed: dict) -> Details:
    old, old_problem = _parsed(old_version, request.before, parsed)
    new, new_problem = _parsed(new_version, request.after, parsed)
    # Git pairs a deleted and an added file as a rename by similarity alone; a household that moved
    # keeps its worker's 身份证号, so a pair with two different people is a new file, not a move.
    unrelated = (
        request.before.path != request.after.path
        and old is not None
        and new is not None
        and old.get("身份证号") != new.get("身份证号")
    )
    if unrelated:
        old, old_version, old_problem = None, None, ""
    problem = "；".join(p for p in (old_problem, new_problem) if p)
    before = _verdict(old, request.before, standards_raw) if old_version is not None else None
    after = _verdict(new, request.after, standards_raw) if new_version is not None else None
    # A new or deleted file is one event, not eighty field lines; its verdict says what it meant.
    fields = tuple(diff_records(old, new)) if old is not None and new is not None else ()
    name = (new or old or {}).get("姓名")
    return Details(fields, before, after, problem, mask_name(name) if isinstance(name, str) else "", unrelated)


_INHERITED: dict = {}  # in a worker process: "records", the parent's parsed records, handed over by _inherit


def _inherit(known: dict) -> None:
    """A worker's start: the records the parent parsed already (inherited by fork, not pickled).

    The parent's dict itself, never a copy: copying raises the reference count of every record's data, and a
    forked worker then holds its own copy of each memory page those counts live on (one page per household,
    about 100 MB per worker for a province).
    """
    _INHERITED["records"] = known


@dataclass(frozen=True)
class _Inherited:
    """A version the worker finds in the records it inherited from its parent process."""

    blob: str


def _parsed(version, side: Side, parsed: dict) -> tuple[dict | None, str]:
    """Parse a version once per chunk (by blob id)."""
    if isinstance(version, _Inherited):
        return _INHERITED["records"][version.blob], ""
    if side.blob not in parsed:
        parsed[side.blob] = _parse(version, side)
    return parsed[side.blob]


def _parse(raw, side: Side) -> tuple[dict | None, str]:
    if raw is None or isinstance(raw, dict):
        return raw, ""
    record, problems = parse_bytes(raw, side.path or "")
    if record is None:
        where = f"第 {problems[0].line} 行" if problems and problems[0].line else ""
        return None, f"此版本（{(side.blob or '')[:8]}）无法读取：{where}{problems[0].message if problems else ''}"
    return record.data, ""


def _verdict(data: dict | None, side: Side, standards_raw: dict) -> str:
    """The category the rules give this version, in a few words."""
    from generator.rules import Unusable, assess

    if data is None:
        return NOT_ASSESSED
    standards = _standards(side.standards, standards_raw.get(side.standards))
    if standards is None:
        return f"{NOT_ASSESSED}（认定标准文件缺失或有误）"
    try:
        result = assess(data, side.county, standards, dt.date.fromisoformat(side.day))
    except Unusable:
        return f"{NOT_ASSESSED}（档案缺少认定所需的字段）"
    verdict = "不能认定为困难职工家庭" if result.category is None else result.category
    if result.cancel:
        verdict += "（应予注销）"
    if result.migrant_missing:
        verdict += "（农民工条件不全）"
    return verdict


_STANDARDS: dict = {}


def _standards(blob: str | None, raw: bytes | None):
    from generator.rules.standards import parse_standards

    if blob is None or raw is None:
        return None
    if blob not in _STANDARDS:
        try:
            _STANDARDS[blob] = parse_standards(raw)
        except RecordError:
            _STANDARDS[blob] = None
    return _STANDARDS[blob]

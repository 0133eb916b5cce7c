"""Validation: schema, semantic and rule checks per record (cached by blob), then across records."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from generator.clock import today
from generator.errors import ERROR, WARNING, Problem
from generator.parallel import no_gc
from generator.records import SETTINGS, cache, schema_check
from generator.records.load import (
    SETTINGS_DIR,
    Record,
    _relative,
    line_in_file,
    load_each,
    named_files,
    record_files,
    special_files,
)
from generator.records.schema import INACTIVE, join_pointer, label_path
from generator.rules.regions import Regions, regions
from generator.validation import checks

CHECKS_CACHE = "checks"


@dataclass
class Context:
    """What checks may consult besides the record itself."""

    root: Path
    today: dt.date = field(default_factory=lambda: today())
    _standards: object = None

    @property
    def regions(self) -> Regions:
        return regions()

    @property
    def standards(self):
        if self._standards is None:
            from generator.rules.standards import load_standards

            self._standards = load_standards(self.root)
        return self._standards

    def __getstate__(self):
        return {"root": self.root, "today": self.today, "_standards": None}


class Summary(NamedTuple):
    """What the cross-record checks need of a record, small enough to cache for a province.

    The cache keeps it as a plain tuple (unpickling a province of named tuples costs 0.1 s more).
    """

    path: str
    county: str
    stem: str
    number: object
    region: object
    status: object
    ids: tuple  # (pointer, id number)


def record_checks():
    """Every per-record check, in order: semantic, eligibility rules, working cycle."""
    from generator import rules
    from generator.validation import lifecycle

    return (checks.check_fields, rules.check_rules, lifecycle.check_lifecycle)


def check_record(record: Record, ctx: Context) -> list[Problem]:
    """Schema problems, or (for a schema-valid record) every semantic and rule problem."""
    found = schema_check.check_schema(record)
    if any(p.is_error for p in found):
        return found
    for check in record_checks():
        found.extend(check(record, ctx))
    return found


def summarise(record: Record) -> Summary:
    data = record.data
    ids = []
    people = [("", data)] + [
        (f"/家庭主要成员/{i}", m) for i, m in enumerate(data.get("家庭主要成员") or []) if isinstance(m, dict)
    ]
    for base, person in people:
        number = person.get("身份证号")
        if isinstance(number, str):
            ids.append((f"{base}/身份证号", number))
    return Summary(
        record.path, record.county, record.stem, data.get("职工编号"), data.get("所属地区"), data.get("状态"), tuple(ids)
    )


def _check_key(ctx: Context) -> str:
    from generator.rules import today_key

    # Everything a record's problems depend on besides the record (cache.inputs_key: program, schema, settings),
    # and the calendar: the 农民工 annual review is the one rule that turns with it (each 31 October).
    return cache.fingerprint(cache.inputs_key(ctx.root), today_key(ctx.today))


def checked(_rel: str, record: Record | None, problems: list[Problem], ctx: Context, key: str) -> tuple:
    """The cache entry of one parsed file: (entry key, its problems, its summary or None when it cannot be read)."""
    if record is not None:
        problems = problems + check_record(record, ctx)
    return (_entry_key(key, problems, ctx), problems, tuple(summarise(record)) if record is not None else None)


def validate_tree(root: Path, paths: list[Path] | None = None, ctx: Context | None = None, *, use_cache: bool = True):
    """Validate files under root (all records, or the given ones): (number of records, problems).

    An unchanged file (by its stat signature, else by its blob id) takes its result from the cache;
    the others are read, parsed and checked in worker processes when there are many.
    """
    with no_gc():
        return _validate_tree(root, paths, ctx, use_cache)


def _validate_tree(root: Path, paths: list[Path] | None, ctx: Context | None, use_cache: bool):
    ctx = ctx or Context(root)
    files, stray = record_files(root) if paths is None else named_files(root, paths)
    linked = special_files(root)
    if linked:  # every check reads the settings and the schema: nothing is read through a link
        return 0, stray + linked
    if paths is None:
        stray += check_settings(root, ctx) + cache.legacy_warning(root)
    key = _check_key(ctx)
    loaded = load_each(
        root,
        files,
        CHECKS_CACHE,
        checked,
        ctx,
        key,
        kind="validate",
        holds=lambda entry: _holds(entry[0], key, ctx),
        use_cache=use_cache,
        whole=paths is None,
        warm_up=lambda: _warm_up(ctx),
    )
    problems = list(stray)
    summaries = []
    for item in loaded:
        if item.blob is None:  # unreadable
            problems.extend(item.value)
            continue
        _, found, summary = item.value
        problems.extend(found)
        if summary is not None:
            summaries.append(Summary._make(summary))
    problems.extend(cross_record(summaries, ctx))
    return len(files), problems


def _entry_key(key: str, problems: list[Problem], ctx: Context) -> str:
    """A result holds from the day it was computed on, as days go forward (a date not in the future stays so);
    one that mentions a future date holds only for that day. A clock set back (BANGFU_TODAY) computes again."""
    day = ctx.today.isoformat()
    if any(p.code == "future-date" for p in problems):
        return f"{key}@{day}"
    return f"{key}>{day}"


def _holds(entry: str, key: str, ctx: Context) -> bool:
    """Whether a cached result with this entry key still holds today."""
    day = ctx.today.isoformat()
    if entry == f"{key}@{day}":
        return True
    since = entry.removeprefix(f"{key}>")
    return since != entry and since <= day


def _fresh(hit, key: str, ctx: Context) -> bool:
    return hit is not None and _holds(hit[0], key, ctx)


def validate(records: list[Record], ctx: Context, *, use_cache: bool = True) -> list[Problem]:
    """Validate already loaded records (the site build path), sharing the per-record cache."""
    key = _check_key(ctx)
    cached = cache.Shards(ctx.root, CHECKS_CACHE, use_cache=use_cache)
    problems: list[Problem] = []
    summaries = []
    for record in records:
        shard = cache.shard_of(record.path)
        hit = cached.get(shard, (record.path, record.blob))
        if not _fresh(hit, key, ctx):
            found = check_record(record, ctx)
            hit = (_entry_key(key, found, ctx), found, tuple(summarise(record)))
            cached.put(shard, (record.path, record.blob), hit)
        problems.extend(hit[1])
        summaries.append(Summary._make(hit[2]))
    cached.save(whole=False)  # perhaps a subset of the archive: keep what the other records have cached
    problems.extend(cross_record(summaries, ctx, {r.path: r for r in records}))
    return problems


def _warm_up(ctx: Context) -> None:
    """Import and build in the parent what every check needs, so forked workers share it instead of
    each building its own (schema validators, rule and lifecycle modules, standards, region tables)."""
    from generator import rules  # noqa: F401
    from generator.validation import lifecycle  # noqa: F401

    schema_check._validators()
    checks.known_region("460105")
    _ = ctx.standards


def _top(path: str, field: str, code: str, message: str) -> Problem:
    """A problem with a top-level field of the record (no line number)."""
    return Problem(path, None, join_pointer((field,)), field, code, message)


def cross_record(summaries: list[Summary], ctx: Context, loaded: dict[str, Record] | None = None) -> list[Problem]:
    """一人一档, unique 职工编号, and file paths that agree with the record.

    Lines are looked up only for the few records with a problem: in `loaded` (records in hand,
    perhaps not yet written) or else in the file on disk.
    """
    out: list[Problem] = []
    by_number: dict = defaultdict(list)
    by_id: dict = defaultdict(list)
    counties = set(ctx.regions.counties())
    for s in summaries:
        by_number[s.number].append(s)
        for pointer, number in s.ids:
            by_id[number].append((s, pointer))
        region, number = s.region, s.number
        if isinstance(region, str):
            if region not in counties:
                out.append(_top(s.path, "所属地区", "unknown-region", f"所属地区 {region} 不是本省已知的县级行政区划代码。"))
            elif region != s.county:
                out.append(
                    _top(s.path, "所属地区", "path-region", f"所属地区 {region} 与文件所在目录 records/{s.county}/ 不一致。")
                )
        if isinstance(number, str):
            if number != s.stem:
                out.append(_top(s.path, "职工编号", "path-number", f"职工编号 {number} 与文件名 {s.stem}.yaml 不一致。"))
            if isinstance(region, str) and not number.startswith(region):
                out.append(_top(s.path, "职工编号", "number-region", f"职工编号 {number} 应以所属地区代码 {region} 开头。"))
    for number, group in by_number.items():
        if len(group) > 1 and number is not None:
            for s in group:
                others = "、".join(o.path for o in group if o is not s)
                out.append(_top(s.path, "职工编号", "number-duplicate", f"职工编号 {number} 与 {others} 重复。"))
    for number, places in by_id.items():
        if len(places) < 2 or len({s.path for s, _ in places}) < 2:
            continue
        for s, pointer in places:
            held = (loaded or {}).get(s.path)
            line = held.line_of(pointer) if held is not None else line_in_file(ctx.root, s.path, pointer)
            for other, other_pointer in places:
                if other.path == s.path:
                    continue
                both_active = s.status not in INACTIVE and other.status not in INACTIVE
                severity = ERROR if both_active else WARNING
                hint = "一人只能在一份档案中（一人一档）。" if both_active else "此人另有已退出的档案，重新建档请沿用原档案。"
                out.append(
                    Problem(
                        s.path,
                        line,
                        pointer,
                        label_path(pointer),
                        "one-person-one-archive",
                        f"身份证号 {number} 也出现在 {other.path}（{label_path(other_pointer)}）。{hint}",
                        severity,
                    )
                )
    return out


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the .yaml files inside directories named (settings excluded)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.yaml") if SETTINGS_DIR not in p.parts))
        else:
            out.append(path)
    return out


def validate_paths(root: Path, paths: list[Path], *, use_cache: bool = True) -> tuple[int, list[Problem]]:
    """Validate the archive, or only the named files (still checked against the whole archive).

    The whole archive takes one route however it is named (no path, `records`, its absolute path, the root):
    the same files under the same cache keys, without listing or resolving them one by one first.
    """
    if not paths or _names_archive(root, paths):
        return validate_tree(root, None, use_cache=use_cache)
    files = expand(paths)
    base = Path(os.path.abspath(root / "records"))  # not resolve(): a link must be judged where it sits
    if base.is_dir() and all(base in Path(os.path.abspath(f)).parents for f in files):
        _, problems = validate_tree(root, None, use_cache=use_cache)
        wanted = {_relative(f, root) for f in files}
        return len(files), [p for p in problems if p.path in wanted]
    return validate_tree(root, files, use_cache=use_cache)


def _names_archive(root: Path, paths: list[Path]) -> bool:
    """Whether one of `paths` is the archive's root or its records/ folder (then every record is named)."""
    whole = {os.path.realpath(root), os.path.realpath(root / "records")}
    return any(os.path.realpath(p) in whole for p in paths)


def check_settings(root: Path, ctx: Context) -> list[Problem]:
    """Every settings file under records/_settings/, each against its own schema and rules."""
    from generator.access import reviewers
    from generator.access.privacy import load_policy
    from generator.access.users import load_access
    from generator.errors import RecordError

    problems: list[Problem] = []
    settings = root / SETTINGS
    loaders = [
        ("standards.yaml", lambda: ctx.standards),
        ("roles.yaml", lambda: load_policy(root)),
        ("access.yaml", lambda: load_access(root)),
    ]
    for name, loader in loaders:
        if (settings / name).is_file():
            try:
                loader()
            except RecordError as exc:
                problems.extend(exc.problems or [Problem(f"{SETTINGS}/{name}", None, "", "", "settings", exc.message)])
    if (settings / "reviewers.yaml").is_file():
        problems.extend(reviewers.check_reviewers(root))
    return problems

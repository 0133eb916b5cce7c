"""Inputs of `bangfu impact`: the two standards files to compare and the households' facts, cached by blob.

A household's facts (the fields the rules read) do not depend on the settings, so their cache is named by the
program alone: a change of standards.yaml, which starts every other cache afresh, keeps this one.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from generator.errors import RecordError, UsageError
from generator.parallel import map_chunks, no_gc
from generator.records import cache
from generator.records.load import Record, load_each, parse_bytes, record_files
from generator.rules.facts import Unusable, read_household
from generator.rules.impact import Entry, compare, reach
from generator.rules.standards import FIELDS, MULTIPLIER, STANDARDS_PATH, Sourced, Standards, load_standards, parse_standards

FACTS_CACHE = "impact-facts"
SET_BASIS = "拟调整（--set）"
_SET = re.compile(r"^\s*(?P<region>[0-9]+)\s*:\s*(?P<field>[^=]+?)\s*=\s*(?P<value>[^@]+?)\s*(?:@\s*(?P<day>.+?))?\s*$")


def facts_key() -> str:
    return cache.fingerprint(cache.program_key(), FACTS_CACHE)


def parse_set(text: str, standards: Standards) -> Sourced:
    """`4601:城市低保标准=650@2027-01-01` as one proposed entry; UsageError in Chinese when it is not that."""
    example = "例如 --set 4601:城市低保标准=650@2027-01-01"
    found = _SET.match(text)
    if not found or not found["day"]:
        raise UsageError(f"--set “{text}”写法不对，应为 地区:项目=数值@生效日期，{example}。")
    region, item = found["region"], found["field"]
    if region not in standards.regions:
        raise UsageError(f"--set “{text}”：“{region}”不是本省的行政区划代码（省 2 位、市 4 位、县 6 位）。")
    if item not in FIELDS:
        raise UsageError(f"--set “{text}”：项目应为 {'、'.join(FIELDS)} 之一。")
    try:
        value = Decimal(found["value"])
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > 100000:
        raise UsageError(f"--set “{text}”：数值“{found['value']}”应是大于 0 的数。")
    if item == MULTIPLIER and not Decimal(1) < value <= 5:
        raise UsageError(f"--set “{text}”：边缘倍数应大于 1、不超过 5。")
    if item != MULTIPLIER and value.as_tuple().exponent < -2:
        raise UsageError(f"--set “{text}”：{value} 超过两位小数（精确到分）。")
    try:
        day = dt.date.fromisoformat(found["day"])
    except ValueError:
        raise UsageError(f"--set “{text}”：“{found['day']}”不是有效日期，应写作 YYYY-MM-DD。") from None
    return Sourced(item, value, region, standards.region_name(region), day, SET_BASIS)


def apply_sets(standards: Standards, texts: tuple[str, ...] | list[str]) -> Standards:
    """The standards with each --set entry added (replacing an entry of the same region, item and date)."""
    if not texts:
        return standards
    proposed = [parse_set(t, standards) for t in texts]
    replaced = {(p.region, p.field, p.effective) for p in proposed}
    kept = [s for s in standards.entries() if (s.region, s.field, s.effective) not in replaced]
    return standards.with_entries(kept + proposed)


def standards_file(path: Path) -> Standards:
    """A proposed standards file; RecordError naming it, with line and field, when it is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"无法读取标准文件 {path}：{exc.strerror or exc}") from None
    return parse_standards(raw, str(path))


def working_tree(root: Path, wanted, *, use_cache: bool = True) -> list[Entry]:
    """The facts of the households of the counties `wanted` (a predicate on county codes), from the archive at root.

    Files of other counties are not read: the change cannot reach them. Their cached facts are kept.
    """
    files, _ = record_files(root)
    chosen = [(rel, path) for rel, path in files if wanted(_county(rel))]
    loaded = load_each(
        root, chosen, FACTS_CACHE, facts_of, kind="impact", use_cache=use_cache, whole=False, cache_key=facts_key()
    )
    return [Entry.of(item.rel, None) if item.blob is None else _entry(item.rel, item.value) for item in loaded]


def _county(rel: str) -> str:
    parts = rel.split("/")
    return parts[1] if len(parts) == 3 else ""


def revision_standards(archive, old_rev: str, new_rev: str) -> tuple[Standards, Standards, list[tuple[str, str]]]:
    """(standards at old_rev, standards at new_rev, (path, blob) of every household file at new_rev)."""
    from generator.history.git import BlobReader

    reader = BlobReader(archive)
    sides, records = [], []
    for rev in (old_rev, new_rev):
        listing = tree_blobs(archive, rev)
        blob = listing.get(STANDARDS_PATH)
        if blob is None:
            raise UsageError(f"{rev[:8]} 没有 {STANDARDS_PATH}，无法比较。")
        sides.append(parse_standards(reader.read(blob), f"{STANDARDS_PATH}（{rev[:8]}）"))
        records = [(p, b) for p, b in listing.items() if _is_record(p)]
    return sides[0], sides[1], records


def revision_impact(
    archive,
    cache_root: Path,
    old_rev: str,
    new_rev: str,
    today: dt.date,
    *,
    sets=(),
    day=None,
    scope: str | None = None,
    use_cache: bool = True,
):
    """The impact of the standards at new_rev (with `sets` on top) against those at old_rev, on the archive at new_rev."""
    from generator.history.git import BlobReader

    old, new, records = revision_standards(archive, old_rev, new_rev)
    new = apply_sets(new, sets)
    wanted = reach(old, new, _scope(new, scope))
    records = [(p, b) for p, b in records if wanted(_county(p))]
    facts = blob_facts(cache_root, records, BlobReader(archive).read_many, use_cache=use_cache)
    with no_gc():
        return compare(facts, old, new, day, scope=scope, today=today)


def _scope(standards: Standards, scope: str | None) -> str:
    if scope is not None and scope not in standards.regions:
        raise UsageError(f"--scope “{scope}”不是本省的行政区划代码（省 2 位、市 4 位、县 6 位）。")
    return scope or standards.regions.province


def tree_blobs(archive, rev: str) -> dict[str, str]:
    """Path (relative to the archive) → blob id of every regular file under records/ at rev."""
    listing = archive.git("ls-tree", "-r", "-z", rev, "--", f"{archive.prefix}records/")
    out = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, _, blob = meta.split()
        if mode in ("100644", "100755"):
            out[path[len(archive.prefix) :]] = blob
    return out


def blob_facts(cache_root: Path, records: list[tuple[str, str]], read_many, *, use_cache: bool = True) -> list[tuple]:
    """Facts of (path, blob) records read from git, through the facts cache (the one the working tree's facts use)."""
    known = cache.Shards(cache_root, FACTS_CACHE, use_cache=use_cache, key=facts_key())
    out: list = [None] * len(records)
    wanted = []
    for index, (rel, blob) in enumerate(sorted(records)):
        hit = known.get(cache.shard_of(rel), (rel, blob))
        if hit is not None:
            out[index] = _entry(rel, hit)
        else:
            wanted.append((index, rel, blob))
    raw = read_many([b for _, _, b in wanted]) if wanted else {}
    items = [(rel, raw[blob]) for _, rel, blob in wanted]
    for (index, rel, blob), facts in zip(wanted, map_chunks(_read_chunk, items, "impact"), strict=True):
        known.put(cache.shard_of(rel), (rel, blob), facts)
        out[index] = _entry(rel, facts)
    known.save(whole=False)
    return out


def _is_record(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 3 and parts[1] != "_settings" and parts[2].endswith(".yaml")


def read_facts(rel: str, raw: bytes) -> tuple:
    """The facts of one record file's bytes (see facts_of)."""
    return facts_of(rel, parse_bytes(raw, rel)[0], [])


def facts_of(rel: str, record: Record | None, _problems: list) -> tuple:
    """The cache entry of one record file: (county, status, 低保 item, imputable, assessment date or None,
    worker's 身份证号, worker's name, the pickled HouseholdFacts or None)."""
    county = rel.split("/")[1] if rel.count("/") == 2 else ""
    if record is None:
        return county, "", "", False, None, "", "", None
    data = record.data
    id_number, name = data.get("身份证号"), data.get("姓名")
    id_number, name = (id_number if isinstance(id_number, str) else ""), (name if isinstance(name, str) else "")
    try:
        household = read_household(data, record.county)
    except (Unusable, RecordError):
        return county, "", "", False, None, id_number, name, None
    entry = Entry.of(rel, household)
    return (
        county,
        entry.status,
        entry.dibao,
        entry.imputable,
        entry.own,
        id_number,
        name,
        pickle.dumps(household, protocol=pickle.HIGHEST_PROTOCOL),
    )


def _entry(rel: str, cached: tuple) -> Entry:
    county, status, dibao, imputable, own, id_number, name, raw = cached
    return Entry(rel, county, status, dibao, imputable, own, id_number, name, raw=raw)


def _read_chunk(items: list[tuple[str, bytes]]) -> list[tuple]:
    with no_gc():
        return [read_facts(rel, raw) for rel, raw in items]


def impact_of(
    root: Path,
    *,
    spec: str | None = None,
    proposed: Path | None = None,
    sets: tuple[str, ...] = (),
    day: dt.date | None = None,
    scope: str | None = None,
    today: dt.date | None = None,
    use_cache: bool = True,
):
    """The impact of a proposed change of the standards on the archive at root (the one entry of `bangfu impact`).

    spec: BASE..HEAD whose standards.yaml changed (households at HEAD); proposed: a whole proposed standards file;
    sets: single values (`4601:城市低保标准=650@2027-01-01`) applied on top of the new side.
    """
    from generator.history.git import cache_root, open_archive, resolve_range

    if spec and proposed:
        raise UsageError("修订范围和 --standards 只能给出一个。")
    if not (spec or proposed or sets):
        raise UsageError("请给出修订范围（如 main..调整标准）、--standards 文件或 --set 数值。")
    if spec:
        archive = open_archive(Path(root))
        if archive is None:
            raise UsageError("档案库不在 git 仓库中，无法按修订范围比较；请改用 --standards 或 --set。")
        merge_base, _, head = resolve_range(archive, spec)
        return revision_impact(
            archive, cache_root(archive, root), merge_base, head, today, sets=sets, day=day, scope=scope, use_cache=use_cache
        )
    old = load_standards(root)
    new = apply_sets(standards_file(proposed) if proposed else old, sets)
    facts = working_tree(root, reach(old, new, _scope(new, scope)), use_cache=use_cache)
    with no_gc():
        return compare(facts, old, new, day, scope=scope, today=today)

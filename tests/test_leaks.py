"""No file a scope's users can read names or identifies a household outside that scope; counts stay inside it."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import gzip
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from leak_support import Finder, TokenIndex, area_of, households_of, region_of, site_files, texts

from generator.access.privacy import default_policy, mask_card, mask_id, mask_name, mask_phone
from generator.demo.province import SAMPLE_HOUSEHOLDS, SAMPLE_SEED, write_demo
from generator.pipeline import build_site
from generator.records.dump import dump_record
from generator.records.load import load_tree
from generator.records.schema import field_map
from generator.rules.regions import regions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("leaks")]
REPO = Path(__file__).resolve().parent.parent
SCOPES = regions().scopes()
# 职工编号 that the hand-written handbook uses as examples (records/460105/4601050001.yaml …): not a listing.
DOC_EXAMPLES = {
    m
    for p in (REPO / "docs").rglob("*.md")
    for m in re.findall(r"(?<![0-9])[1-9][0-9]{9}(?![0-9])", p.read_text(encoding="utf-8"))
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _sample_archive(base: Path) -> Path:
    """The repository's own sample records (or, before they are committed, the same generator and seed)."""
    root = base / "sample"
    if any(p.is_dir() and p.name.isdigit() for p in (REPO / "records").iterdir()):
        shutil.copytree(REPO / "records", root / "records")
    else:
        write_demo(root, SAMPLE_HOUSEHOLDS, SAMPLE_SEED)
    return root


def _province_archive(base: Path) -> Path:
    """A small demo province in git, with a later commit that touches two counties at once."""
    root = base / "province"
    write_demo(root, 240, 5)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "导入演示档案")
    loaded = load_tree(root).records
    for county in ("460105", "460202"):
        record = next(r for r in loaded if r.county == county)
        record.data["备注"] = "年度核查已完成（测试）。"
        (root / record.path).write_text(dump_record(record.data), encoding="utf-8")
    _git(root, "commit", "-q", "-am", "年度核查：两县各一户")
    return root


def _built(kind: str, base: Path) -> tuple[Path, Path, TokenIndex, list]:
    root = _sample_archive(base) if kind == "sample" else _province_archive(base)
    site = base / f"{kind}-site"
    build_site(root, site)
    records = load_tree(root).records
    return root, site, TokenIndex(households_of(records)), records


@pytest.fixture(scope="module", params=["sample", "province"])
def built(request, tmp_path_factory):
    """(site, token index, records, found tokens per file) for the sample records and for a demo province."""
    base = tmp_path_factory.mktemp(request.param)
    _, site, index, records = _built(request.param, base)
    found = {}
    for rel in site_files(site):
        tokens = set()
        for text in texts(site / rel):
            tokens |= index.find(text)
        found[rel] = tokens
    return site, index, records, found


def reachable(rel: str, scope: str) -> bool:
    """True when a user holding `scope` can read the file (its region lies inside the scope, or the handbook)."""
    region = region_of(rel)
    return region is None or region.startswith(scope)


@pytest.mark.parametrize("scope", SCOPES)
def test_a_scope_reads_nobody_outside_it(built, scope):
    site, index, _, found = built
    leaks = {}
    for rel, tokens in found.items():
        if reachable(rel, scope):
            foreign = index.foreign(tokens, scope) if region_of(rel) else index.foreign(tokens - DOC_EXAMPLES, None)
            if foreign:
                leaks[rel] = sorted(foreign)[:5]
    assert leaks == {}


def test_the_scan_reads_every_file_of_the_site(built):
    site, _, records, found = built
    assert len(found) == len(site_files(site))
    assert {r.county for r in records} <= {rel.split("/")[1] for rel in found if rel.startswith("h/")}
    assert {".html", ".json", ".csv", ".xml", ".js", ".gz"} <= {Path(rel).suffix for rel in found}


def test_file_names_and_urls_hold_no_personal_data(built):
    site, index, _, _ = built
    named = [rel for rel in site_files(site) if index.find(rel) - {number for number in index.find(rel) if number.isdigit()}]
    assert named == []
    for rel in site_files(site):
        if rel.endswith("sitemap.xml"):
            for url in re.findall(r"<loc>([^<]*)</loc>", (site / rel).read_text(encoding="utf-8")):
                assert all(token.isdigit() and len(token) == 10 for token in index.find(url)), url
                assert not re.search(r"[0-9]{17}[0-9X]", url), url


def test_list_page_titles_hold_no_personal_data(built):
    site, index, _, _ = built
    for rel in site_files(site):
        if rel.startswith(("s/", "f/")) and rel.endswith(".html"):
            title = re.search(r"<title>(.*?)</title>", (site / rel).read_text(encoding="utf-8"), re.S)
            assert title, rel
            assert not index.find(title.group(1)), (rel, title.group(1))
            assert not re.search(r"[0-9]{10}", title.group(1)), (rel, title.group(1))


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.mark.parametrize("scope", ["460105", "469005", "460400", "4601", "4602", "46"])
def test_finder_and_statistics_of_a_scope_count_only_that_scope(built, scope):
    site, _, records, _ = built
    inside = [r for r in records if r.county.startswith(scope)]
    finder = json.loads((site / "s" / scope / "finder.json").read_text(encoding="utf-8"))
    numbers = [row[0] for row in finder["rows"]]
    assert sorted(numbers) == sorted(r.data["职工编号"] for r in inside)
    assert all(code.startswith(scope) for code in finder["regions"])
    by_number = {r.data["职工编号"]: r.data for r in inside}
    for row in finder["rows"]:
        data = by_number[row[0]]
        assert row[1] in ("", data["姓名"], mask_name(data["姓名"]))
        assert row[2] in ("", data["身份证号"][:4] + data["身份证号"][-4:])
    listed = json.loads((site / "s" / scope / "households.json").read_text(encoding="utf-8"))
    assert sorted(row[0] for row in listed["rows"]) == sorted(by_number)
    region = _csv(site / "s" / scope / "stats" / "exact" / "region.csv")
    total = next(row for row in region if row[0] == "合计")
    assert int(total[1]) == len(inside)
    assert int(total[2]) == sum(int(r.data["家庭人口"]) for r in inside)
    status = _csv(site / "s" / scope / "stats" / "exact" / "status.csv")
    assert sum(int(row[1]) for row in status[1:]) == len(inside)
    sitemap = (site / "s" / scope / "sitemap.xml").read_text(encoding="utf-8")
    for url in re.findall(r"<loc>([^<]*)</loc>", sitemap):
        code = re.match(r"/[hsf]/([0-9]+)/", url)
        assert code and code.group(1).startswith(scope), url


def test_the_scan_finds_what_is_planted_in_any_form(built, tmp_path):
    """The leak test is only as good as its scanner: plant a foreign household every way a page could hold it."""
    site, index, records, _ = built
    mine = next(r for r in records if r.county == "460105").data
    foreign = next(r for r in records if not r.county.startswith("4601")).data
    name, number = foreign["姓名"], foreign["身份证号"]
    plants = {
        "a.html": f"<td>{''.join(f'&#x{ord(c):x};' for c in name)}</td>",
        "b.json": json.dumps({"n": name}, ensure_ascii=True),
        "c.csv": f"x,{mask_id(number)}\r\n",
        "d.svg": f"<svg><title>{mask_name(name)}</title></svg>",
        "e.xml": f"<loc>/h/460105/x?q={''.join(f'%{b:02X}' for b in name.encode())}</loc>",
        "f.js": f"var a='{number}';",
        "g.json.gz": gzip.compress(json.dumps([number]).encode()),
        "h.html": f"<p>{mine['姓名']} {mine['身份证号']}</p>",  # the scope's own household: allowed
    }
    folder = tmp_path / "s" / "460105"
    folder.mkdir(parents=True)
    found = {}
    for file, content in plants.items():
        (folder / file).write_bytes(content if isinstance(content, bytes) else content.encode())
        tokens = set()
        for text in texts(folder / file):
            tokens |= index.find(text)
        found[file] = bool(index.foreign(tokens, "460105"))
    assert found == {file: file != "h.html" for file in plants}


_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])|0[0-9]{2,3}-?[0-9]{7,8}")
DISABILITIES = [v for v in field_map()["/残疾类别"].enum if v != "无"]


def _personal(records) -> dict[str, set[str]]:
    """Every household's personal data by kind and form, as the masking table names them."""
    out = {k: set() for k in ("name", "name*", "id", "id*", "phone", "phone*", "card", "card*", "address")}
    staff = set()
    for record in records:
        data = record.data
        people = [data, *data.get("家庭主要成员", [])]
        for person in people:
            out["name"].add(person["姓名"])
            out["name*"].add(mask_name(person["姓名"]))
            if person.get("身份证号"):
                out["id"].add(person["身份证号"])
                out["id*"].add(mask_id(person["身份证号"]))
        for text in (data.get("手机号码"), data.get("其他联系方式")):
            for phone in _MOBILE.findall(text or ""):
                out["phone"].add(phone)
                out["phone*"].add(mask_phone(phone))
        if data.get("银行卡号"):
            out["card"].add(data["银行卡号"])
            out["card*"].add(mask_card(data["银行卡号"]))
        if data.get("家庭住址"):
            out["address"].add(data["家庭住址"])
        staff |= set(_strings_outside_people(data))
    # a union worker (建档人, 帮扶责任人 …) may carry the same synthetic name as someone's family member
    out["name"] -= staff
    out["name*"] -= {mask_name(s) for s in staff}
    return out


def _strings_outside_people(data: dict):
    for key, value in data.items():
        if key in ("姓名", "家庭主要成员"):
            continue
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)


# What each area must not show, by the policy table of docs/access.md (roles.yaml).
NOT_SHOWN = {
    "archive": ("card",),
    "list": ("id", "phone", "card", "card*", "address", "health"),
    "finance": ("id", "phone", "address", "health"),
    "notice": ("name", "id", "id*", "phone", "phone*", "card", "card*", "address", "health"),
    "stats": ("name", "name*", "id", "id*", "phone", "phone*", "card", "card*", "address", "health"),
    "index": ("name", "name*", "id", "id*", "phone", "phone*", "card", "card*", "address", "health"),
    "handbook": ("name", "name*", "id", "id*", "phone", "phone*", "card", "card*", "address"),  # lists the vocabulary
}


def test_each_area_shows_personal_data_only_as_the_policy_says(built):
    site, _, records, _ = built
    kinds = _personal(records) | {"health": set(DISABILITIES)}
    finders = {kind: Finder(words) for kind, words in kinds.items()}
    shown = {}
    for rel in site_files(site):
        area, _ = area_of(rel)
        text = "\n".join(texts(site / rel))
        for kind in NOT_SHOWN[area]:
            hits = finders[kind].find(text)
            if hits:
                shown.setdefault(f"{area} {kind}", []).append(f"{rel}: {sorted(hits)[:2]}")
    assert {key: value[:3] for key, value in shown.items()} == {}


def test_the_areas_do_show_what_they_are_for(built):
    """The other half of the table: archive pages carry the full ID, finance pages the full card number."""
    site, _, records, _ = built
    data = next(r for r in records if r.data.get("银行卡号")).data
    county, number = data["所属地区"], data["职工编号"]
    archive = (site / "h" / county / number / "index.html").read_text(encoding="utf-8")
    assert data["身份证号"] in archive and mask_card(data["银行卡号"]) in archive
    listed = (site / "s" / county / "households.json").read_text(encoding="utf-8")
    assert mask_id(data["身份证号"]) in listed and data["姓名"] in listed
    finance = (site / "f" / county / "index.html").read_text(encoding="utf-8")
    assert data["银行卡号"] in finance and mask_id(data["身份证号"]) in finance


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _same_mask_other_number(number: str) -> str:
    """A valid ID number with the same masked form (first and last four) but another birth date."""
    day = dt.date.fromisoformat(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
    for shift in range(1, 400):
        other = number[:6] + (day - dt.timedelta(days=shift)).strftime("%Y%m%d") + number[14:17]
        if "10X98765432"[sum(int(d) * w for d, w in zip(other, _WEIGHTS, strict=True)) % 11] == number[17]:
            return other + number[17]
    raise AssertionError("no other number with this mask")


def test_list_data_depends_on_an_id_number_only_through_its_masked_form(built):
    """Lists show 4601**********123X; nothing else a list reader gets may depend on the hidden digits."""
    from generator.site.finder import finder_data

    _, _, records, _ = built
    site = SimpleNamespace(policy=default_policy(), regions=regions())
    changed = []
    for record in [r for r in records if r.data.get("身份证号")][:20]:
        other = copy.deepcopy(record)
        other.data["身份证号"] = _same_mask_other_number(record.data["身份证号"])
        assert mask_id(other.data["身份证号"]) == mask_id(record.data["身份证号"])
        if finder_data([record], site) != finder_data([other], site):
            changed.append(record.data["职工编号"])
    assert changed == []

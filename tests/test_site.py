"""The built site as a person reads it: every page type, scopes that hold only their own, counts that add up."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from site_support import REPO, built_samples, copy_samples

from generator.cli import cli
from generator.errors import BuildError
from generator.pipeline import build_site
from generator.rules.regions import regions

INACTIVE = ("已解困脱困", "已注销")
NUMBER = re.compile(r"(?<!\d)(46\d{8})(?!\d)")


@pytest.fixture(scope="module")
def site() -> tuple[Path, Path]:
    return built_samples()


@pytest.fixture(scope="module")
def households(site) -> list[dict]:
    """The sample records read independently of the program (plain yaml.safe_load)."""
    root, _ = site
    out = []
    for path in sorted((root / "records").glob("[0-9]*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["_county"] = path.parent.name
        out.append(data)
    return out


def inside(scope: str, county: str) -> bool:
    return scope in regions().ancestors(county)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_household_has_its_pages_addressed_by_region_and_number(site, households):
    _, out = site
    for data in households:
        folder = out / "h" / data["_county"] / str(data["职工编号"])
        for page in ("index.html", "card/index.html", "history/index.html"):
            assert (folder / page).is_file(), folder / page
    assert len(list((out / "h").glob("*/*/index.html"))) == len(households)


def test_household_page_shows_every_section_and_no_other_household(site, households):
    _, out = site
    data = next(d for d in households if d["状态"] == "帮扶中" and d.get("帮扶台账"))
    html = read(out / "h" / data["_county"] / data["职工编号"] / "index.html")
    for section in ('id="form"', 'id="trace"', 'id="plan"', 'id="cards"', 'id="ledger"', 'id="attachments"', 'id="history"'):
        assert section in html
    for text in (
        "困难职工档案表",
        "困难类别认定过程",
        "帮扶计划",
        "（帮扶责任人存）",
        "（困难职工存）",
        "帮扶台账",
        "按年度合计",
        data["身份证号"],
        data["姓名"],
        "结论：",
    ):
        assert text in html
    numbers = set(NUMBER.findall(html))
    assert numbers <= {data["职工编号"]}, numbers
    assert not re.search(r'href="[^"]*h/\d{6}/\d{10}', html)


def test_household_page_masks_the_bank_card_and_titles_carry_no_full_name(site, households):
    _, out = site
    data = next(d for d in households if d.get("银行卡号"))
    html = read(out / "h" / data["_county"] / data["职工编号"] / "index.html")
    assert data["银行卡号"] not in html
    assert f"**** {data['银行卡号'][-4:]}" in html
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert data["职工编号"] in title and data["姓名"] not in title


def test_ledger_totals_per_year_are_exact(site, households):
    _, out = site
    data = max(households, key=lambda d: len(d.get("帮扶台账") or []))
    html = read(out / "h" / data["_county"] / data["职工编号"] / "index.html")
    from decimal import Decimal

    per_year: dict[str, Decimal] = {}
    for entry in data["帮扶台账"]:
        year = str(entry["日期"])[:4]
        per_year[year] = per_year.get(year, Decimal(0)) + Decimal(str(entry["金额"]))
    for year, amount in per_year.items():
        shown = f"{amount:,}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
        assert re.search(rf"<td>{year}</td><td>\d+</td><td class=\"bf-num\">{re.escape(shown.replace('.00', ''))}</td>", html), (
            year
        )


def test_contact_cards_carry_exactly_the_fields_of_the_plan(site, households):
    _, out = site
    data = next(d for d in households if d["状态"] == "帮扶中" and d.get("帮扶责任人"))
    html = read(out / "h" / data["_county"] / data["职工编号"] / "card" / "index.html")
    helper, worker = html.split('data-card="worker"')
    for label in (
        "职工编号",
        "职工姓名",
        "性别",
        "出生年月",
        "家庭住址",
        "工作单位",
        "家庭主要<br>成员",
        "致困原因",
        "困难类别",
        "帮扶任务<br>完成时限",
        "联系方式",
        "帮扶单位",
        "帮扶责任人",
    ):
        assert f"<th>{label}</th>" in helper, label
    for label in (
        "职工姓名",
        "性别",
        "出生年月",
        "帮扶单位",
        "帮扶责任人",
        "职务",
        "联系方式",
        "困难职工所属工会<br>联络人姓名",
        "解困脱困<br>措施选项",
        "解困脱困<br>计划选项",
        "备注",
    ):
        assert f"<th>{label}</th>" in worker, label
    assert "月底前实现解困脱困" in helper
    assert "card.css" in html


@pytest.mark.parametrize("scope", ["46", "4601", "460105", "469005", "4604"])
def test_scope_pages_hold_only_their_own_households(site, households, scope):
    _, out = site
    folder = out / "s" / scope
    assert folder.is_dir()
    outside = {d["职工编号"] for d in households if not inside(scope, d["_county"])}
    own_names = {d["姓名"] for d in households if inside(scope, d["_county"])}
    outside_names = {d["姓名"] for d in households if not inside(scope, d["_county"])} - own_names
    for path in folder.rglob("*"):
        if path.is_file():
            text = read(path)
            assert not set(NUMBER.findall(text)) & outside, path
            assert not any(name in text for name in outside_names), path
    finder = json.loads(read(folder / "finder.json"))
    assert {row[0] for row in finder["rows"]} == {d["职工编号"] for d in households if inside(scope, d["_county"])}


def test_lists_never_show_full_id_or_bank_numbers_and_notices_mask_names(site, households):
    _, out = site
    ids = {d["身份证号"] for d in households} | {
        m["身份证号"] for d in households for m in d.get("家庭主要成员", []) if m.get("身份证号")
    }
    cards = {d["银行卡号"] for d in households if d.get("银行卡号")}
    for path in (out / "s").rglob("*"):
        if path.is_file() and "print" not in path.parts:
            text = read(path)
            assert not any(i in text for i in ids), path
            assert not any(c in text for c in cards), path
    noticed = [d for d in households if d.get("公示")]
    assert noticed
    pages = list((out / "s").glob("*/notices/*/index.html"))
    assert pages
    text = "".join(read(p) for p in pages)
    for data in noticed:
        assert data["姓名"] not in text
        assert data["姓名"][0] + "*" in text


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.mark.parametrize("scope", ["46", "4601", "460105", "469005"])
def test_statistics_equal_counts_from_the_yaml(site, households, scope):
    _, out = site
    mine = [d for d in households if inside(scope, d["_county"])]
    live = [d for d in mine if d["状态"] not in INACTIVE]
    stats = out / "s" / scope / "stats" / "exact"
    status = {row[0]: (int(row[1]), int(row[2])) for row in _csv(stats / "status.csv")[1:]}
    for name, (count, people) in status.items():
        chosen = [d for d in mine if d["状态"] == name]
        assert (count, people) == (len(chosen), sum(d["家庭人口"] for d in chosen)), name
    category = {row[0]: int(row[1]) for row in _csv(stats / "category.csv")[1:]}
    assert category == {k: Counter(d["困难类别"] for d in live).get(k, 0) for k in category}
    for file, field in (
        ("causes", "致困原因"),
        ("groups", "五类重点群体"),
        ("measures", "四个一批措施"),
        ("plans", "七个行动计划"),
    ):
        expected = Counter(item for d in live for item in d.get(field, []))
        assert {row[0]: int(row[1]) for row in _csv(stats / f"{file}.csv")[1:] if int(row[1])} == dict(expected), file
    region = _csv(stats / "region.csv")
    assert region[-1][:3] == ["合计", str(len(mine)), str(sum(d["家庭人口"] for d in mine))]
    html = read(stats / "index.html")
    assert html.count("<svg") >= 9 and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert f"共 <b>{len(mine) if len(mine) >= 5 else '*'}</b> 户" in read(out / "s" / scope / "index.html")


def test_worklists_follow_today_and_the_records(site, households):
    _, out = site
    html = read(out / "s" / "46" / "worklists" / "index.html")
    pending = [d for d in households if d["状态"] == "待审批"]
    assert f"待审批（{len(pending)} 户）" in html
    never = [d for d in households if d["状态"] == "帮扶中" and not d.get("帮扶台账")]
    assert f"从未帮扶（{len(never)} 户）" in html
    month = "2026-11"
    overdue = [d for d in households if d["状态"] == "帮扶中" and d.get("帮扶任务完成时限", "9999") < month]
    assert f"帮扶任务完成时限已过（{len(overdue)} 户）" in html
    for heading in ("公示中", "2026 年度核查未完成", "一年以上未更新"):
        assert heading in html


def test_exit_lists_and_batch_print(site, households):
    _, out = site
    exited = [d for d in households if d["状态"] == "已解困脱困"]
    html = read(out / "s" / "46" / "exited" / "index.html")
    assert all(d["职工编号"] in html for d in exited)
    county = Counter(d["_county"] for d in households if d["状态"] == "帮扶中").most_common(1)[0][0]
    cards = read(out / "s" / county / "print" / "cards" / "index.html")
    assert cards.count('class="bf-batch-item"') == sum(1 for d in households if d["_county"] == county and d["状态"] == "帮扶中")
    forms = read(out / "s" / county / "print" / "forms" / "index.html")
    assert forms.count("困难职工档案表</h2>") == sum(
        1 for d in households if d["_county"] == county and d["状态"] not in INACTIVE
    )
    assert 'href="../../../../s/460105/print/cards/"' in read(out / "s" / "4601" / "print" / "cards" / "index.html")


def test_finder_data_is_compact_and_keeps_id_numbers_out(site, households):
    _, out = site
    data = json.loads(read(out / "s" / "46" / "finder.json"))
    rows = {row[0]: row for row in data["rows"]}
    sample = households[0]
    row = rows[sample["职工编号"]]
    assert row[1] == sample["姓名"]
    assert row[2] == sample["身份证号"][:4] + sample["身份证号"][-4:]
    assert data["regions"][row[3]] == sample["_county"]
    assert sample["身份证号"] not in read(out / "s" / "46" / "finder.json")


def test_handbook_is_mkdocs_and_knows_nothing_of_households(site, households):
    _, out = site
    sitemap = read(out / "sitemap.xml")
    assert "/h/" not in sitemap and "/s/" not in sitemap
    index = read(out / "index.html")
    assert 'lang="zh"' in index and "fonts.googleapis" not in index
    assert all(d["职工编号"] not in index for d in households)
    fields = read(out / "handbook" / "fields" / "index.html")
    from generator.records.schema import fields as schema_fields

    assert all(info.title in fields for info in schema_fields())
    locations = [doc["location"] for doc in json.loads(read(out / "search" / "search_index.json"))["docs"]]
    assert locations and not any(loc.startswith(("h/", "s/", "f/")) for loc in locations)
    scope_sitemap = read(out / "s" / "460105" / "sitemap.xml")
    assert "/h/460105/" in scope_sitemap and "/h/460106/" not in scope_sitemap


def test_error_pages_reveal_nothing_and_work_at_any_url(site):
    _, out = site
    for code in ("401", "403", "404"):
        html = read(out / "errors" / f"{code}.html")
        assert not NUMBER.search(html)
        assert 'href="../' not in html and 'src="../' not in html


def test_no_page_asks_for_anything_outside(site):
    _, out = site
    loads = r"""(?:\bsrc\s*=\s*|<link\b[^>]*\bhref\s*=\s*|url\(\s*|@import\s+)["']?"""
    external = re.compile(loads + r"(?:https?:)?//(?!127\.0\.0\.1[:/])", re.I)
    for path in out.rglob("*"):
        if path.suffix in (".html", ".css") and path.is_file():
            assert not external.search(read(path)), path


def test_a_failed_build_leaves_the_previous_site_untouched(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    out = tmp_path / "site"
    first = build_site(root, out)
    assert "没有 git 历史" in " ".join(first.warnings)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    record = next((root / "records" / "460105").glob("*.yaml"))
    record.write_text(record.read_text(encoding="utf-8").replace("家庭人口:", "家庭人口: [", 1), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build_site(root, out)
    message = caught.value.format_message()
    assert "站点未生成（原有站点保持不变）" in message and f"records/460105/{record.name}:" in message
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def _snapshot(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".bangfu-generation"
    }


def test_a_rebuild_after_one_change_writes_only_what_changed(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    out = tmp_path / "site"
    spare = tmp_path / "site.bangfu" / "spare"
    build_site(root, out)
    first = _snapshot(out)
    same = build_site(root, out)  # the spare starts as a hard-linked copy of the live site
    assert (same.rendered, same.written) == (0, 0)
    assert _snapshot(out) == first and _snapshot(spare) == first
    record = root / "records" / "460105" / "4601050001.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("家庭住址: ", "家庭住址: 改过的", 1), encoding="utf-8")
    changed = build_site(root, out)
    assert changed.rendered == 1
    assert 0 < changed.written < 40
    assert "改过的" in read(out / "h" / "460105" / "4601050001" / "index.html")
    # Pages are replaced, never written through a hard link: the previous generation is intact.
    assert _snapshot(spare) == first
    again = build_site(root, out)
    assert again.written < 40 and "改过的" in read(out / "h" / "460105" / "4601050001" / "index.html")
    assert _snapshot(spare) == _snapshot(out)


def test_history_page_lists_the_commit(site, households):
    _, out = site
    data = households[0]
    html = read(out / "h" / data["_county"] / data["职工编号"] / "history" / "index.html")
    assert "新建档案，编辑 " in html  # the wording of `bangfu history` (Change.summary)


def test_cli_build_refuses_invalid_records_in_chinese(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    record = next((root / "records" / "460105").glob("*.yaml"))
    record.write_text(
        record.read_text(encoding="utf-8").replace("性别: 男", "性别: 未知", 1).replace("性别: 女", "性别: 未知", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--out", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"records/460105/{record.name}:" in result.output and "性别" in result.output
    assert not (tmp_path / "site").exists()


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    out = tmp_path / "precious"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(BuildError):
        build_site(root, out)
    assert (out / "keep.txt").read_text() == "x"


def test_readme_first_command_builds_the_samples():
    readme = read(REPO / "README.md")
    assert "make demo" in readme or "bangfu build" in readme

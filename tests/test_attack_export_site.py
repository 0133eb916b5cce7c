"""Attacks through the served site: real nginx with the generated configuration (CSP included), real Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from nginx_support import PASSWORD, Nginx, fetch, free_port, write_access, write_htpasswd
from site_support import wait_for

from generator.access.nginx import DeployOptions, deploy_config
from generator.demo.province import write_demo
from generator.pipeline import build_site

pytestmark = [pytest.mark.nginx, pytest.mark.slow, pytest.mark.xdist_group("attack-export-site")]

USERS = {"jb-46": [("46", ["经办人"])], "tj-46": [("46", ["统计员"])]}
PRINT_TEXTS = ("打印", "打印本页", "打印本期", "打印档案表和台账")
# Runs before any page script: records each window.print() call (and which notice was marked to print alone)
# and every content-security-policy violation.
RECORDER = """
window.__printed = [];
window.print = function () {
  window.__printed.push([...document.querySelectorAll('.bf-print-this')].map(function (e) { return e.id; }).join(','));
};
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A small demo province built and served by nginx with basic authentication; yields (port, site, root)."""
    base = tmp_path_factory.mktemp("attack-site")
    root = base / "archive"
    write_demo(root, 60, 11)
    write_access(root, USERS)
    site = base / "site"
    build_site(root, site)
    port = free_port()
    options = DeployOptions(
        site=site,
        out=base / "bangfu.conf",
        root=root,
        htpasswd=write_htpasswd(base / "htpasswd", USERS),
        listen=f"127.0.0.1:{port}",
        access_log=base / "access.log",
        rate_limit=100000,
    )  # the tests read every statistics file at full speed
    deploy_config(options)
    nginx = Nginx(base / "prefix", options.out, port).start()
    try:
        yield port, site, root
    finally:
        nginx.stop()


def _print_pages(site: Path) -> list[str]:
    """A page of every kind that offers a print link: household, contact card, batch prints, a notice year."""
    county = max((p for p in (site / "h").iterdir()), key=lambda p: len(list(p.iterdir())))
    household = sorted(county.iterdir())[0]
    notice = sorted(p for p in (site / "s").glob("*/notices/*/index.html") if "bf-notice" in p.read_text(encoding="utf-8"))[0]
    pages = [
        household / "index.html",
        household / "card" / "index.html",
        site / "s" / county.name / "print" / "cards" / "index.html",
        site / "s" / county.name / "print" / "forms" / "index.html",
        notice,
    ]
    return ["/" + p.parent.relative_to(site).as_posix() + "/" for p in pages]


@pytest.mark.browser
def test_every_print_link_prints_under_the_sites_content_security_policy(served, new_page):
    port, site, _ = served
    page = new_page(http_credentials={"username": "jb-46", "password": PASSWORD, "send": "always"})
    finder = (
        f"window.__links=function(){{return [...document.querySelectorAll('a')].filter(function(a){{"
        f"return {json.dumps(PRINT_TEXTS)}.indexOf(a.textContent.trim())>=0}})}};"
    )
    page.add_init_script(RECORDER + finder)
    clicked = 0
    for path in _print_pages(site):
        page.goto(f"http://127.0.0.1:{port}{path}")
        assert page.title() and "403" not in page.title(), path
        count = page.evaluate("window.__links().length")
        assert count >= 1 and count == page.evaluate("document.querySelectorAll('[data-bangfu-print]').length"), path
        for index in range(count):
            # a person's click: scrolled into view, the mouse pressed and released over the link
            page.evaluate_handle(f"window.__links()[{index}]").as_element().click()
            wait_for(page, f"window.__printed.length === {index + 1}", timeout=5)
            target = page.evaluate(f"window.__links()[{index}].getAttribute('data-bangfu-print')")
            assert page.evaluate(f"window.__printed[{index}]") == (target or ""), path
            clicked += 1
        assert page.evaluate("window.__violations") == [], path
        assert page.evaluate("document.body.className").find("bf-printing-one") < 0, path
    assert clicked >= 6


def test_no_page_holds_a_javascript_link(served):
    """javascript: URLs are what the policy blocks: none may be left anywhere in the site."""
    _, site, _ = served
    pages = [p for p in site.rglob("*.html") if "javascript:" in p.read_text(encoding="utf-8")]
    assert not pages, pages[:3]


# --- small cells: a statistics-only reader must not single out a family -----------------------------------------

COUNTS = ("户数", "在档户数", "建档户数", "退出户数", "帮扶户数")
LINKED = ("region", "category", "status", "year")  # tables whose rows add up to a published total


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _counties(root: Path) -> Counter:
    return Counter(path.parent.name for path in (root / "records").glob("[0-9]*/*.yaml"))


def _lone_family_being_helped(root: Path) -> tuple[str, dict]:
    """A county's only household, being helped and paid (so its causes and money would be in the statistics)."""
    for county, count in sorted(_counties(root).items()):
        if count == 1:
            data = yaml.safe_load(next((root / "records" / county).glob("*.yaml")).read_text(encoding="utf-8"))
            if data["状态"] == "帮扶中" and data.get("帮扶台账"):
                return county, data
    raise AssertionError("the demo province has no lone family being helped")


def test_a_statistics_reader_cannot_read_a_lone_familys_causes_or_money(served):
    port, _, root = served
    county, lone = _lone_family_being_helped(root)
    money = {str(entry["金额"]) for entry in lone["帮扶台账"] if entry.get("金额")}
    assert money and lone["致困原因"]
    for table in ("causes", "region", "status", "ledger", "category", "groups", "measures", "plans", "year"):
        status, _, body = fetch(port, f"/s/{county}/stats/{table}.csv", "tj-46")
        assert status == 200, table
        rows = _csv(body)
        figures = [cell for row in rows[1:] for cell in row[1:]]
        assert figures and set(figures) == {"*"}, (table, rows)
        assert not any(m in body.decode("utf-8-sig").replace(",", "") for m in money), table
    status, _, body = fetch(port, f"/s/{county}/stats/", "tj-46")
    page = body.decode()
    assert status == 200 and '<td class="bf-num">1</td>' not in page
    assert not any(f"{int(float(m)):,}" in page for m in money)
    status, _, body = fetch(port, f"/s/{county}/", "tj-46")
    assert status == 200 and "共 <b>*</b> 户" in body.decode()
    assert fetch(port, f"/s/{county}/stats/exact/causes.csv", "tj-46")[0] == 403
    assert fetch(port, f"/s/{county}/stats/exact/", "tj-46")[0] == 403


def test_archive_readers_see_exact_figures(served):
    port, _, root = served
    county = next(code for code, n in sorted(_counties(root).items()) if n == 1)
    status, _, body = fetch(port, f"/s/{county}/stats/exact/region.csv", "jb-46")
    assert status == 200 and _csv(body)[-1][:2] == ["合计", "1"]
    status, _, body = fetch(port, "/s/46/stats/exact/status.csv", "jb-46")
    assert status == 200 and sum(int(row[1]) for row in _csv(body)[1:]) == sum(_counties(root).values())


def test_no_small_count_and_no_lone_hidden_cell_in_any_scope(served):
    """Every scope's public tables: no count of 1–4, and no column where one hidden cell is total minus the rest."""
    port, site, _ = served
    for scope in sorted(p.name for p in (site / "s").iterdir()):
        for path in sorted((site / "s" / scope / "stats").glob("*.csv")):
            status, _, body = fetch(port, f"/s/{scope}/stats/{path.name}", "tj-46")
            assert status == 200
            rows = _csv(body)
            body_rows = [row for row in rows[1:] if row[0] != "合计"]
            for column, label in enumerate(rows[0]):
                if label not in COUNTS:
                    continue
                cells = [row[column] for row in body_rows]
                assert not [c for c in cells if c != "*" and 0 < int(c) < 5], (scope, path.name, label, cells)
                if path.stem in LINKED and "*" in cells and set(cells) != {"*"}:
                    assert cells.count("*") >= 2, (scope, path.name, label, cells)
            if path.stem == "ledger":
                assert all(row[3] == "*" for row in rows[1:] if row[2] == "*"), (scope, rows)
        index = fetch(port, f"/s/{scope}/", "tj-46")[2].decode()
        shown = re.findall(r'<td class="bf-num">([^<]*)</td>', index) + re.findall(r"：(\S+) 户</li>", index)
        assert not [n for n in shown if n != "*" and 0 < int(n) < 5], (scope, shown)

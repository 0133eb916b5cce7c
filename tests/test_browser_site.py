"""The built site in real headless Chromium on 127.0.0.1: sections, finder, table, print sizes, no outside request."""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter

import pytest
import yaml
from site_support import built_samples, pdf_pages, serving, wait_for

pytestmark = [pytest.mark.browser]

A5_LANDSCAPE = (595.3, 419.5)
A4 = (595.3, 841.9)


@pytest.fixture(scope="module")
def site():
    root, out = built_samples()
    households = []
    for path in sorted((root / "records").glob("[0-9]*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["_county"] = path.parent.name
        households.append(data)
    with serving(out) as url:
        yield url, households


def near(size, expected, tolerance=3.0) -> bool:
    return abs(size[0] - expected[0]) <= tolerance and abs(size[1] - expected[1]) <= tolerance


def test_household_page_renders_every_section(site, page):
    url, households = site
    data = next(d for d in households if d["状态"] == "帮扶中" and d.get("帮扶台账"))
    page.goto(f"{url}h/{data['_county']}/{data['职工编号']}/")
    headings = page.evaluate("[...document.querySelectorAll('section.bf-section')].map(s => [s.id, s.innerText.length])")
    assert [h[0] for h in headings] == ["form", "trace", "plan", "cards", "ledger", "attachments", "history"]
    assert all(length > 20 for _, length in headings)
    visible = page.evaluate("document.querySelector('.bf-paper').getBoundingClientRect().height")
    assert visible > 400
    assert page.evaluate("document.body.innerText").count(data["姓名"]) >= 2
    assert page.evaluate("document.documentElement.lang") == "zh"


def test_finder_finds_by_chinese_name_number_and_id(site, page):
    url, households = site
    data = households[len(households) // 2]
    page.goto(f"{url}s/46/")
    for query in (data["姓名"], data["职工编号"], data["身份证号"], data["姓名"][1:]):
        page.fill("#bf-q", query)
        links = wait_for(
            page,
            f"""(function(){{var a=[...document.querySelectorAll('.bf-finder-results a')]
            .map(x=>x.getAttribute('href'));return a.some(h=>h.indexOf('{data["职工编号"]}')>=0)?a:null}})()""",
        )
        assert any(f"h/{data['_county']}/{data['职工编号']}/" in link for link in links), query
    page.fill("#bf-q", data["身份证号"][:-1] + ("0" if data["身份证号"][-1] != "0" else "1"))
    wait_for(page, "document.querySelector('.bf-finder-status').textContent.indexOf('没有找到') >= 0")


def test_finder_answers_at_once(site, page):
    url, households = site
    page.goto(f"{url}s/46/")
    page.fill("#bf-q", "测")
    wait_for(page, "document.querySelector('.bf-finder-status').textContent.indexOf('找到') >= 0")
    elapsed = page.evaluate("""new Promise(function(done){var i=document.querySelector('#bf-q');var t=performance.now();
        i.value='示例';i.dispatchEvent(new Event('input'));setTimeout(function(){done(performance.now()-t)},0)})""")
    assert elapsed < 200


def test_household_table_sorts_and_filters(site, page):
    url, households = site
    page.goto(f"{url}s/46/households/")
    wait_for(page, f"document.querySelectorAll('.bf-sortable tbody tr').length === {len(households)}")
    page.evaluate("document.querySelector('th[data-col=\"1\"]').click()")
    names = page.evaluate("[...document.querySelectorAll('.bf-sortable tbody tr td:nth-child(2)')].map(t=>t.textContent)")
    assert names == sorted(names)
    page.evaluate("var s=document.querySelector('.bf-filter-status');s.value='帮扶中';s.dispatchEvent(new Event('input'))")
    count = Counter(d["状态"] for d in households)["帮扶中"]
    wait_for(page, f"document.querySelectorAll('.bf-sortable tbody tr').length === {count}")


def test_contact_card_page_prints_at_card_size(site, page):
    url, households = site
    data = next(d for d in households if d["状态"] == "帮扶中")
    page.goto(f"{url}h/{data['_county']}/{data['职工编号']}/card/")
    pages = pdf_pages(page)
    assert len(pages) == 2
    assert all(near(size, A5_LANDSCAPE) for size in pages), pages


def test_batch_print_puts_each_household_on_its_own_a4_page(site, page):
    url, households = site
    county = Counter(d["_county"] for d in households if d["状态"] == "帮扶中").most_common(1)[0][0]
    helped = sum(1 for d in households if d["_county"] == county and d["状态"] == "帮扶中")
    page.goto(f"{url}s/{county}/print/cards/")
    pages = pdf_pages(page)
    assert len(pages) == helped and all(near(size, A4) for size in pages), pages


def test_notice_list_prints_on_a4_with_masked_names(site, page):
    url, households = site
    page.goto(f"{url}s/46/notices/")
    first = page.evaluate("(document.querySelector('a[href*=\"notices/20\"]')||{}).href")
    if not first:
        county = next(d["_county"] for d in households if d.get("公示"))
        page.goto(f"{url}s/{county}/notices/")
        first = page.evaluate("document.querySelector('a[href*=\"notices/20\"]').href")
    page.goto(first)
    text = page.evaluate("document.querySelector('.bf-notice').innerText")
    assert "困难职工建档公示名单" in text and "*" in text
    assert all(near(size, A4) for size in pdf_pages(page))


def test_statistics_page_draws_charts_and_offers_csv(site, page):
    url, _ = site
    page.goto(f"{url}s/4601/stats/")
    assert page.evaluate("document.querySelectorAll('svg.bf-chart rect').length") > 10
    csv_text = page.evaluate("fetch('category.csv').then(r=>r.text())")
    assert csv_text.lstrip("\ufeff").startswith("困难类别,户数,人数")


def test_handbook_search_finds_chinese(site, page):
    url, _ = site
    page.goto(f"{url}handbook/site/")
    search = page.locator(".md-search__input")
    search.fill("联系卡")
    # The theme reads the query on a key's release (a Chinese input method's commit ends with one); fill() types
    # none, so the search would start only if its index happened to load after the text was in.
    search.press("End")
    results = wait_for(page, "document.querySelectorAll('.md-search-result__item').length", timeout=15)
    assert results > 0


def test_no_request_leaves_loopback(site, page):
    url, households = site
    data = households[0]
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for path in (
        "",
        "regions/",
        "handbook/fields/",
        f"h/{data['_county']}/{data['职工编号']}/",
        f"h/{data['_county']}/{data['职工编号']}/history/",
        "s/46/worklists/",
        "errors/404.html",
    ):
        page.goto(url + path)
    outside = [u for u in requests if not u.startswith((url, "data:", "blob:", "about:"))]
    assert requests and not outside, json.dumps(outside, ensure_ascii=False)


def test_the_browser_reaches_nothing_but_loopback(site, chromium):
    """What every browser test relies on: a request for anywhere but 127.0.0.1 is refused, and listed."""
    from site_support import loopback_context

    url, _ = site
    context, refused = loopback_context(chromium)
    try:
        page = context.new_page()
        page.goto(url)
        fetched = page.evaluate(
            """Promise.all(['index.html', 'http://192.0.2.1/x.js', 'https://example.com/y.css'].map(u =>
                fetch(u).then(r => r.status, e => e.name)))"""
        )
    finally:
        context.close()
    assert fetched == [200, "TypeError", "TypeError"]
    assert sorted(refused) == ["http://192.0.2.1/x.js", "https://example.com/y.css"]


# --- issue 15: what a new user tripped over on the site ---------------------------------------------------------

LATE = "2026-12-01"  # a month after the tests' today: notices that ran then have ended


def _late_build(root, out):
    """Build an archive as of LATE (the tests' today is earlier)."""
    import os

    from generator.pipeline import build_site

    old = os.environ["BANGFU_TODAY"]
    os.environ["BANGFU_TODAY"] = LATE
    try:
        build_site(root, out)
    finally:
        os.environ["BANGFU_TODAY"] = old
    return out


@pytest.fixture(scope="module")
def late_sites(tmp_path_factory):
    """(name, archive root, site) of the samples and of a small demo province, both built as of LATE."""
    from site_support import copy_samples

    from generator.demo.province import write_demo

    base = tmp_path_factory.mktemp("late")
    samples = copy_samples(base / "samples")
    demo = base / "demo"
    write_demo(demo, 60, 7)
    return [(name, root, _late_build(root, base / f"{name}-site")) for name, root in (("samples", samples), ("demo", demo))]


_FIGURES = """[...document.querySelectorAll('a.bf-count-link')].map(function (a) {
    var text = (a.closest('tr, li') || a).textContent.trim();
    return [a.getAttribute('href'), (text.match(/(\\d+|\\*)\\s*户?$/) || [])[1]];
})"""


def _list_length(page, url: str) -> int:
    """How many households the list at url shows (household table, filtered by ?status=, or one worklist section).

    The household table is loaded once per scope (following the first link for real, so its ?status= is read by
    the page); the other statuses are chosen in its status filter, as a person would, not loaded again."""
    from urllib.parse import parse_qs, urlsplit

    address, _, section = url.partition("#")
    if section:
        if address != page.evaluate("location.href").split("#")[0]:
            page.goto(address)
        return page.evaluate(f"document.querySelectorAll('#{section} tbody tr').length")
    wanted = parse_qs(urlsplit(address).query).get("status", [""])[0]
    if address.split("?")[0] != page.evaluate("location.href").split("?")[0]:
        page.goto(address)
        wait_for(page, "document.querySelector('.bf-sortable tbody') && !document.querySelector('.bf-sortable td[colspan]')")
        assert page.evaluate("document.querySelector('.bf-filter-status').value") == wanted
    else:
        page.evaluate(
            f"var s=document.querySelector('.bf-filter-status');s.value={json.dumps(wanted)};s.dispatchEvent(new Event('input'))"
        )
    return page.evaluate("document.querySelectorAll('.bf-sortable tbody tr').length")


def test_every_overview_count_equals_the_list_it_links_to(late_sites, page):
    from generator.site.suppress import shown, suppress_counts

    # The theme's own scripts (search index, navigation) play no part in counting: not loaded, to keep this quick.
    page.route("**/assets/javascripts/**", lambda route: route.abort())
    for name, _, out in late_sites:
        with serving(out) as url:
            scopes = sorted(p.parent.name for p in (out / "s").glob("*/index.html"))
            assert len(scopes) > 5, name
            for scope in scopes:
                page.goto(f"{url}s/{scope}/")
                figures = page.evaluate(_FIGURES)
                # status links first: the first one is followed for real, so the page must read its ?status=
                hrefs = sorted((h for h, _ in figures), key=lambda h: h == "households/")
                lengths = {href: _list_length(page, f"{url}s/{scope}/{href}") for href in hrefs}
                total = lengths["households/"]
                statuses = [h for h, _ in figures if h.startswith("households/?status=")]
                assert len(statuses) == 6, (name, scope, figures)
                expected = dict(zip(statuses, suppress_counts([lengths[h] for h in statuses]), strict=True))
                assert sum(lengths[h] for h in statuses) == total, (name, scope)
                for href, figure in figures:
                    if href == "households/":
                        want = shown(total)
                    elif href in expected:
                        want = expected[href]
                    else:
                        assert href.startswith("worklists/#"), href
                        want = shown(lengths[href], base=total)
                    assert figure == str(want), (name, scope, href, figure, lengths[href])


def test_a_notice_that_has_ended_is_on_a_worklist(late_sites, page):
    for name, root, out in late_sites:
        ended = []
        for path in sorted((root / "records").glob("[0-9]*/*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            ends = [str(n["结束日期"]) for n in data.get("公示") or []]
            if data["状态"] == "公示中" and all(e < LATE for e in ends):
                ended.append(str(data["职工编号"]))
        assert ended, name  # the samples' 4604000002 and the demo's 公示中 household: notices over by LATE
        with serving(out) as url:
            page.goto(f"{url}s/46/worklists/")
            listed = page.evaluate("[...document.querySelectorAll('#ended tbody tr td:first-child')].map(t => t.textContent)")
            assert sorted(listed) == sorted(ended), name
            heading = page.evaluate("document.querySelector('#ended h2').textContent")
            assert heading == f"公示期已满但状态未推进（{len(ended)} 户）"


def _table_rows(page) -> int:
    wait_for(page, "document.querySelector('.bf-sortable tbody') && !document.querySelector('.bf-sortable td[colspan]')")
    return page.evaluate("document.querySelectorAll('.bf-sortable tbody tr').length")


def test_show_more_is_hidden_when_every_row_shows_and_works_when_not(site, page, tmp_path):
    url, households = site
    visible = (
        "(function(b){return !!b && getComputedStyle(b).display !== 'none' && b.offsetWidth > 0})"
        "(document.querySelector('.bf-more-button'))"
    )
    page.goto(f"{url}s/46/households/")
    assert _table_rows(page) == len(households)
    assert page.evaluate(visible) is False
    _, out = built_samples()
    big = tmp_path / "site"
    shutil.copytree(out / "s" / "46", big / "s" / "46")
    shutil.copytree(out / "assets", big / "assets")
    listed = json.loads((out / "s" / "46" / "households.json").read_text(encoding="utf-8"))
    rows = [[f"{i:010d}", *row[1:]] for i, row in enumerate((listed["rows"] * 30)[:1200])]
    (big / "s" / "46" / "households.json").write_text(json.dumps({**listed, "rows": rows}, ensure_ascii=False), encoding="utf-8")
    with serving(big) as big_url:
        page.goto(f"{big_url}s/46/households/")
        assert _table_rows(page) == 500 and page.evaluate(visible) is True
        page.evaluate("document.querySelector('.bf-more-button').click()")
        assert _table_rows(page) == 1000 and page.evaluate(visible) is True
        page.evaluate("document.querySelector('.bf-more-button').click()")
        assert _table_rows(page) == 1200 and page.evaluate(visible) is False


def _finder_count(page, query: str) -> int:
    page.fill("#bf-q", query)
    text = wait_for(page, "(function(t){return /找到/.test(t) && t})(document.querySelector('.bf-finder-status').textContent)")
    return 0 if "没有找到" in text else int(text.split("找到 ")[1].split(" 户")[0])


def test_table_filter_and_finder_find_the_same_households(site, page):
    url, households = site
    data = next(d for d in households if d["_county"] == "460105")
    queries = [
        "万宁",
        "海口",
        "龙华区",
        data["姓名"],
        str(data["职工编号"]),
        data["身份证号"],
        data["身份证号"][:4] + "**********" + data["身份证号"][-4:],
        f"万宁 {households[0]['状态']}",
    ]
    found = {}
    page.goto(f"{url}s/46/")
    for query in queries:
        found[query] = _finder_count(page, query)
    page.goto(f"{url}s/46/households/")
    _table_rows(page)
    for query in queries:
        page.fill(".bf-filter-text", query)
        assert _table_rows(page) == found[query], (query, found)
    assert found["万宁"] == sum(1 for d in households if d["_county"] == "469006") > 0
    assert found[data["身份证号"]] >= 1 and found["海口"] >= found["龙华区"] > 0


def test_a_query_in_the_address_fills_the_finder_without_opening_the_handbook_search(site, page):
    url, households = site
    data = households[3]
    for param in ("q", "find"):
        page.goto(f"{url}s/46/?{param}={data['职工编号']}")
        wait_for(page, "document.querySelectorAll('.bf-finder-results a').length")
        time.sleep(0.5)  # the theme's search starts right after load
        assert page.evaluate("document.querySelector('#__search').checked") is False
        assert page.evaluate("document.querySelector('.md-search__input').value") == ""
        assert page.evaluate("document.querySelector('#bf-q').value") == str(data["职工编号"])
        assert "q=" not in page.evaluate("location.search")


def test_history_page_says_what_the_cli_says(site, page):
    from generator.history.log import read_history

    url, households = site
    root, _ = built_samples()
    history = read_history(root)
    for data in households[:3]:
        changes = history.for_path(f"records/{data['_county']}/{data['职工编号']}.yaml")
        assert changes
        page.goto(f"{url}h/{data['_county']}/{data['职工编号']}/history/")
        lines = page.evaluate("[...document.querySelectorAll('.bf-history > li > p.bf-change')].map(p => p.innerText)")
        assert [line.rsplit("；提交 ", 1)[0] for line in lines] == [c.summary() for c in changes]
        assert "审批：；" not in page.evaluate("document.body.innerText")


def test_household_page_names_the_household_once_and_aligns_money(site, page):
    url, households = site
    data = next(d for d in households if d.get("帮扶台账"))
    page.goto(f"{url}h/{data['_county']}/{data['职工编号']}/")
    heading = page.evaluate("document.querySelector('.md-content h1').textContent")
    form = page.evaluate("document.querySelector('.bf-paper').innerText")
    assert heading == f"{data['职工编号']} {data['姓名']}" and data["姓名"] in form  # the archive area shows it in full
    assert data["姓名"] not in page.evaluate("document.title")  # browsers keep titles in their history (docs/access.md)
    text = page.evaluate("document.querySelector('#form').innerText")
    assert f"所属地区：{data['所属地区']}" not in text and f"（{data['所属地区']}）" in text and "海南省" in text
    aligns = page.evaluate("""[...document.querySelectorAll('#ledger table')].map(t => {
        var heads = [...t.querySelectorAll('thead th')].map(h => h.textContent);
        var col = heads.findIndex(h => h.indexOf('金额') >= 0);
        return [...t.querySelectorAll('tbody tr, tfoot tr')].map(r => getComputedStyle(r.children[col]).textAlign);
    })""")
    assert len(aligns) == 2 and all(a == "right" for table in aligns for a in table), aligns


def test_breadcrumb_says_a_county_level_city_once(site, page):
    url, _ = site
    for path in ("s/460400/", "s/460400/households/", "h/460400/4604000002/"):
        page.goto(url + path)
        crumbs = page.evaluate("document.querySelector('.bf-crumbs').innerText.trim()")
        assert crumbs.split(" › ")[:2] == ["海南省", "儋州市"] and crumbs.count("儋州市") == 1, (path, crumbs)


def test_batch_print_with_nothing_to_print_offers_no_print_link(site, page):
    url, households = site
    helped = {d["_county"] for d in households if d["状态"] == "帮扶中"}
    county = next(d["_county"] for d in households if d["_county"] not in helped)
    page.goto(f"{url}s/{county}/print/cards/")
    assert page.evaluate("document.querySelectorAll('[data-bangfu-print]').length") == 0
    assert "没有联系卡要打印" in page.evaluate("document.body.innerText")


def test_statistics_charts_say_what_they_draw_and_years_have_no_gaps(site, page):
    url, households = site
    page.goto(f"{url}s/46/stats/exact/")
    captions = page.evaluate(
        "[...document.querySelectorAll('figure.bf-chart-figure')].map(f => "
        "[f.closest('section').id, f.querySelector('figcaption').textContent])"
    )
    heads = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('section.bf-stat')].map(s => "
        "[s.id, [...s.querySelectorAll('thead th')].map(h => h.textContent)]))"
    )
    assert len(captions) == len(heads) and all(any(h in caption for h in heads[id_][1:]) for id_, caption in captions)
    years = sorted({int(str(e["日期"])[:4]) for d in households for e in d.get("帮扶台账") or []})
    shown = page.evaluate("[...document.querySelectorAll('#ledger tbody tr td:first-child')].map(t => +t.textContent)")
    assert shown == list(range(years[0], years[-1] + 1)) and len(shown) > len(years), (shown, years)


def test_handbook_pages_have_room_for_wide_content(site, page):
    url, _ = site
    page.goto(f"{url}handbook/fields/")
    assert page.evaluate("getComputedStyle(document.querySelector('.md-sidebar--secondary')).display") == "none"
    assert page.evaluate(
        "[...document.querySelectorAll('.md-typeset table')].every(t => "
        "t.closest('.md-typeset__scrollwrap, .md-content').scrollWidth <= "
        "t.closest('.md-typeset__scrollwrap, .md-content').clientWidth + 1)"
    )
    page.goto(f"{url}demo/")
    assert page.evaluate("[...document.querySelectorAll('pre > code')].map(c => c.scrollWidth - c.clientWidth)") == [0, 0]


def test_one_household_prints_its_form_and_ledger_like_the_paper(site, page):
    url, households = site
    data = max((d for d in households if d.get("帮扶台账")), key=lambda d: len(d.get("附件") or []))
    address = f"{url}h/{data['_county']}/{data['职工编号']}/"
    page.goto(address)
    pages = pdf_pages(page)
    assert 2 <= len(pages) <= 3 and all(near(size, A4) for size in pages), pages  # was 9 sheets
    page.emulate_media(media="print")
    page.goto(address)
    shown = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('section.bf-section')].map(s => "
        "[s.id, getComputedStyle(s).display !== 'none']))"
    )
    assert shown == {
        "form": True,
        "trace": False,
        "plan": False,
        "cards": False,
        "ledger": True,
        "attachments": False,
        "history": False,
    }
    assert page.evaluate("getComputedStyle(document.querySelector('#form')).breakAfter") == "page"
    assert page.evaluate("getComputedStyle(document.querySelector('.bf-extra')).display") == "none"
    # every table of the form and the ledger repeats its header row on the next sheet
    heads = page.evaluate(
        "[...document.querySelectorAll('#form table, #ledger table')]"
        ".filter(t => t.rows.length > 2 && !t.closest('.bf-extra'))"
        ".map(t => t.tHead ? getComputedStyle(t.tHead).display : 'none')"
    )
    assert heads and set(heads) == {"table-header-group"}, heads
    width = page.evaluate(
        "[...document.querySelectorAll('#form table')].every(t => t.scrollWidth <= t.parentElement.clientWidth + 1)"
    )
    assert width


_SHEET = """[...document.querySelectorAll('section.bf-notice')].map(s => ({
    heads: [...s.querySelectorAll('thead th')].map(h => h.textContent),
    lines: [...s.querySelectorAll('thead th')].map(h => { var r = document.createRange(); r.selectNodeContents(h);
           return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }),
    text: [...s.querySelectorAll('h2, p:not(.bf-noprint)')].map(p => p.textContent.replace(/[0-9]/g, '#'))}))"""


def test_site_notice_and_bangfu_notice_print_one_layout_on_a4(site, page, tmp_path):
    import datetime as dt

    from generator.editing.notice import notice_list

    url, households = site
    county = next(d["_county"] for d in households if d.get("公示"))
    notice = next(n for d in households if d["_county"] == county for n in d.get("公示") or [])
    start = str(notice["开始日期"])
    listed = [(f"records/{d['_county']}/{d['职工编号']}.yaml", notice["层级"], d) for d in households if d["_county"] == county]
    folder = tmp_path / "cli"
    folder.mkdir()
    (folder / "list.html").write_text(
        notice_list(
            county, dt.date.fromisoformat(start), dt.date.fromisoformat(str(notice["结束日期"])), notice.get("地点"), listed
        ),
        encoding="utf-8",
    )
    sheets = {}
    page.set_viewport_size({"width": 703, "height": 1000})  # A4 text width
    page.emulate_media(media="print")
    page.goto(f"{url}s/{county}/notices/{start[:4]}/")
    sheets["site"] = page.evaluate(_SHEET)
    with serving(folder) as cli_url:
        page.goto(cli_url + "list.html")
        sheets["cli"] = page.evaluate(_SHEET)
        cli_pages = pdf_pages(page)
    cli_sheet = sheets["cli"][0]
    site_sheet = next(s for s in sheets["site"] if s["text"][0] == cli_sheet["text"][0] and s["text"][2] == cli_sheet["text"][2])
    assert site_sheet["heads"] == cli_sheet["heads"] == ["序号", "姓名", "性别", "工作单位", "困难类别", "家庭人口", "致困原因"]
    # the same words around the table: title, legal basis, period, where to object, issuing union and date
    assert [t.split("，拟将")[0] for t in site_sheet["text"]] == [t.split("，拟将")[0] for t in cli_sheet["text"]]
    assert any("总工会" in t and "联系电话" in t for t in cli_sheet["text"]) and site_sheet["text"][-1].endswith("日")
    for sheet in (site_sheet, cli_sheet):
        assert max(sheet["lines"]) == 1, sheet  # no header wraps (序/号, 性/别, 家庭人/口)
    assert cli_pages and all(near(size, A4) for size in cli_pages), cli_pages

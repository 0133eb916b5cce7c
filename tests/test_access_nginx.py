"""A real nginx serving a real build: each scope reads its own households and nothing of anyone else's."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from leak_support import area_of, site_files
from nginx_support import Client, Nginx, SignOn, fetch, free_port, write_access, write_htpasswd

from generator.access.nginx import DeployOptions, deploy_config
from generator.demo.province import write_demo
from generator.pipeline import build_site

pytestmark = [pytest.mark.nginx, pytest.mark.slow, pytest.mark.xdist_group("access-nginx")]

# Province; two cities with two counties each; the city whose only county has its own code; two counties
# the province governs directly.
SCOPES = ("46", "4601", "460105", "460106", "4602", "460202", "460203", "4604", "460400", "469005", "469002")
CLERK = ["经办人"]
EVERY_AREA = {"archive", "list", "notice", "stats", "index"}
USERS = {f"jb-{scope}": [(scope, CLERK)] for scope in SCOPES}
USERS |= {
    "cw-4601": [("4601", ["财务"])],
    "tj-46": [("46", ["统计员"])],
    "gs-460105": [("460105", ["公示员"])],
    "two-counties": [("460105", CLERK), ("469005", CLERK)],
    "all-46": [("46", ["经办人", "财务"])],
    "dd": [],
    "ting": [("46", CLERK)],
}
GROUPS = {"g-dudao": [("4601", ["审核人"]), ("4602", ["审核人"])]}
MEMBERS = {"dd": ["g-dudao"]}
DISABLED = ("ting",)
# What each user may read, written out by hand from the issue (not computed by the code under test).
GRANTS: dict[str, list[tuple[str, set[str]]]] = {f"jb-{s}": [(s, EVERY_AREA)] for s in SCOPES}
GRANTS |= {
    "cw-4601": [("4601", EVERY_AREA | {"finance"})],
    "tj-46": [("46", {"stats", "index"})],
    "gs-460105": [("460105", {"notice", "index"})],
    "two-counties": [("460105", EVERY_AREA), ("469005", EVERY_AREA)],
    "all-46": [("46", EVERY_AREA | {"finance"})],
    "dd": [("4601", EVERY_AREA), ("4602", EVERY_AREA)],
    "ting": [],
}


def may_read(user: str, path: str) -> bool:
    area, code = area_of(path)
    grants = GRANTS[user]
    if area == "handbook":
        return bool(grants)
    return any(area in areas and code.startswith(scope) for scope, areas in grants)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A small demo province, built; (archive root, site)."""
    base = tmp_path_factory.mktemp("access")
    root = base / "archive"
    write_demo(root, 200, 11)
    write_access(root, USERS, GROUPS, MEMBERS, DISABLED)
    site = base / "site"
    build_site(root, site)
    return root, site


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    """nginx with basic authentication over the built site; yields (port, site, access log)."""
    root, site = built
    base = tmp_path_factory.mktemp("nginx")
    port = free_port()
    htpasswd = write_htpasswd(base / "htpasswd", [*USERS, "stranger"])
    log = base / "access.log"
    # these tests read every page as fast as nginx answers: no rate limit (tests/test_attack_nginx.py tests the default)
    options = DeployOptions(
        site=site,
        out=base / "bangfu.conf",
        root=root,
        htpasswd=htpasswd,
        listen=f"127.0.0.1:{port}",
        access_log=log,
        rate_limit=100000,
    )
    deploy_config(options)
    nginx = Nginx(base / "prefix", options.out, port).start()
    yield port, site, log
    nginx.stop()


def first_household(site: Path, county: str) -> str:
    return sorted(p.name for p in (site / "h" / county).iterdir())[0]


def scope_urls(site: Path, scope: str) -> list[str]:
    """Pages, finder data and sitemap of one scope, and (for a county) one household's pages."""
    urls = [
        f"/s/{scope}/",
        f"/s/{scope}/finder.json",
        f"/s/{scope}/sitemap.xml",
        f"/s/{scope}/households/",
        f"/s/{scope}/households.json",
        f"/s/{scope}/worklists/",
        f"/s/{scope}/notices/",
        f"/s/{scope}/stats/",
        f"/s/{scope}/stats/region.csv",
        f"/s/{scope}/print/cards/",
        f"/f/{scope}/",
    ]
    if (site / "h" / scope).is_dir():
        number = first_household(site, scope)
        urls += [f"/h/{scope}/{number}/", f"/h/{scope}/{number}/card/", f"/h/{scope}/{number}/history/"]
    return urls


def file_of(site: Path, url: str) -> Path:
    path = site / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_user_reads_its_scopes_and_gets_403_for_every_other(server, user):
    port, site, _ = server
    wrong = []
    with Client(port, user) as client:
        for scope in SCOPES:
            for url in scope_urls(site, scope):
                assert file_of(site, url).is_file(), url
                expected = 200 if may_read(user, url) else 403
                status = client.status(url)
                if status != expected:
                    wrong.append(f"{user} {url}: {status}, expected {expected}")
    assert wrong == []


def test_the_pairs_hold_as_the_issue_says(server):
    """A few pairs spelled out: county vs county, city vs its counties, city vs city, direct county."""
    port, site, _ = server
    cases = [
        ("jb-460105", "/s/460105/finder.json", 200),
        ("jb-460105", "/s/460106/finder.json", 403),
        ("jb-460105", "/s/4601/sitemap.xml", 403),
        ("jb-4601", "/s/460105/sitemap.xml", 200),
        ("jb-4601", "/s/460106/", 200),
        ("jb-4601", "/s/4602/", 403),
        ("jb-4601", "/s/46/", 403),
        ("jb-4604", "/s/460400/finder.json", 200),
        ("jb-460400", "/s/4604/", 403),
        ("jb-469005", "/s/469002/", 403),
        ("jb-46", "/s/469002/finder.json", 200),
        ("jb-4602", f"/h/460105/{first_household(site, '460105')}/", 403),
        ("jb-4601", f"/h/460105/{first_household(site, '460105')}/", 200),
        ("jb-46", f"/h/469005/{first_household(site, '469005')}/", 200),
        ("jb-4601", f"/h/469005/{first_household(site, '469005')}/", 403),
        ("cw-4601", "/f/460106/", 200),
        ("jb-4601", "/f/460106/", 403),
        ("cw-4601", "/f/4602/", 403),
        ("tj-46", "/s/460105/stats/", 200),
        ("tj-46", "/s/460105/households/", 403),
        ("tj-46", f"/h/460105/{first_household(site, '460105')}/", 403),
        ("gs-460105", "/s/460105/notices/", 200),
        ("gs-460105", "/s/460105/finder.json", 403),
        ("dd", "/s/460203/", 200),
        ("dd", "/s/4604/", 403),
        ("ting", "/", 403),
        ("ting", "/s/46/", 403),
        ("stranger", "/", 403),
        ("stranger", "/s/460105/", 403),
    ]
    got = [(user, url, fetch(port, url, user)[0]) for user, url, _ in cases]
    assert got == cases


@pytest.mark.parametrize("user", ["all-46", "jb-460105", "jb-469005", "tj-46"])
def test_every_file_of_the_site_is_served_exactly_to_those_who_may_read_it(server, user):
    port, site, _ = server
    wrong = []
    with Client(port, user) as client:
        for rel in site_files(site):
            expected = 404 if rel.endswith(".map") else 200 if may_read(user, "/" + rel) else 403  # no source maps
            status = client.status("/" + rel)
            if status != expected:
                wrong.append(f"/{rel}: {status}, expected {expected}")
    assert wrong == []


def test_anonymous_gets_401_everywhere_and_a_wrong_password_too(server):
    port, site, _ = server
    for url in [
        "/",
        "/s/46/",
        "/s/460105/finder.json",
        "/s/4601/sitemap.xml",
        "/f/46/",
        "/search/search_index.json",
        f"/h/460105/{first_household(site, '460105')}/",
        "/h/999999/0000000000/",
        "/nowhere/",
    ]:
        for user, password in ((None, ""), ("jb-46", "wrong")):
            status, headers, body = fetch(port, url, user, password)
            assert status == 401, url
            assert headers["www-authenticate"] == 'Basic realm="bangfu"'
            assert body == (site / "errors" / "401.html").read_bytes()


def test_refusals_do_not_say_whether_a_household_exists(server):
    port, site, _ = server
    number = first_household(site, "460202")
    with Client(port, "jb-460105") as client:
        there = client.get(f"/h/460202/{number}/")
        missing = client.get("/h/460202/4602029999/")
        assert there[0] == missing[0] == 403
        assert there[2] == missing[2] == (site / "errors" / "403.html").read_bytes()
        assert client.get("/h/460105/4601059999/")[0] == 404


def test_error_pages_name_nobody(server, built):
    _, site, _ = server
    for code in (401, 403, 404):
        text = (site / "errors" / f"{code}.html").read_text(encoding="utf-8")
        assert not re.search(
            r"[0-9]{17}[0-9X]|示例|测试|样例|测[一二三四五六七八九十甲乙丙丁戊己庚辛壬癸]", text.split("<body", 1)[-1]
        ), code


def test_headers_forbid_caching_indexing_framing_and_foreign_code(server):
    port, site, _ = server
    number = first_household(site, "460105")
    for url, cache in [
        (f"/h/460105/{number}/", "no-store"),
        ("/s/460105/finder.json", "no-store"),
        ("/s/46/stats/region.csv", "no-store"),
        ("/f/46/", "no-store"),
        ("/h/460105/4601059999/", "no-store"),
        ("/", "private, no-cache"),
    ]:
        _, headers, _ = fetch(port, url, "all-46")
        csp = headers["content-security-policy"]
        assert csp.startswith("default-src 'self'; script-src 'self'")
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-robots-tag"] == "noindex, nofollow, noarchive"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == cache, url
        assert headers["server"] == "nginx"  # no version
    anonymous = fetch(port, "/s/46/")[1]
    assert anonymous["cache-control"] == "no-store" and "content-security-policy" in anonymous


def test_no_directory_listing_no_dotfiles_no_writes(server):
    port, site, _ = server
    with Client(port, "all-46") as client:
        assert client.status("/assets/") == 404  # a folder without index.html: no listing
        assert client.status("/h/460105/") == 403  # not a page of any area
        assert client.status("/s/") == 403
        assert client.status("/.bangfu-generation") == 404
        assert client.status("/s/46/.hidden") == 404
        client.conn.request("POST", "/s/46/", body=b"x", headers=client.headers)
        response = client.conn.getresponse()
        response.read()
        assert response.status == 405


def test_the_access_log_names_the_reader_of_every_page(server):
    port, site, log = server
    number = first_household(site, "460203")
    marker = f"/h/460203/{number}/history/"

    def logged():
        return [line for line in log.read_text(encoding="utf-8").splitlines() if f"GET {marker} " in line]

    before = len(logged())
    assert fetch(port, marker, "dd")[0] == 200
    assert fetch(port, marker, "jb-460105")[0] == 403
    assert fetch(port, marker)[0] == 401
    # nginx writes the log line after it has answered: wait (bounded) until all three are there.
    deadline = time.monotonic() + 5
    while len(logged()) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = logged()[before:]
    assert [(line.split(" ")[2], line.split('" ')[1].split(" ")[0]) for line in lines] == [
        ("dd", "200"),
        ("jb-460105", "403"),
        ("-", "401"),
    ]


SESSIONS = {
    "s-city": ("city-user@example.invalid", "g-dudao"),
    "s-county": ("jb-460105", ""),
    "s-finance": ("someone", "other,g-finance"),
    "s-stopped": ("ting", "g-finance"),
    "s-forged": ("jb-46|x", ""),
    "s-forged-group": ("someone", "x|y,g-finance"),
}


@pytest.fixture(scope="module")
def sso_server(built, tmp_path_factory):
    """nginx asking a sign-on endpoint shaped like oauth2-proxy; groups come from its answer."""
    root, site = built
    base = tmp_path_factory.mktemp("sso")
    sso_root = base / "archive"
    write_access(sso_root, USERS, GROUPS | {"g-finance": [("46", ["财务"])]}, MEMBERS, DISABLED)
    port = free_port()
    with SignOn(SESSIONS) as sign_on:
        options = DeployOptions(
            site=site,
            out=base / "bangfu.conf",
            root=sso_root,
            auth="sso",
            auth_url=f"http://127.0.0.1:{sign_on.port}/oauth2/auth",
            listen=f"127.0.0.1:{port}",
            access_log=base / "access.log",
        )
        deploy_config(options)
        nginx = Nginx(base / "prefix", options.out, port).start()
        yield port, site, base / "access.log"
        nginx.stop()


def test_single_sign_on_groups_scopes_and_forgeries(sso_server):
    port, site, log = sso_server
    h105 = f"/h/460105/{first_household(site, '460105')}/"
    h202 = f"/h/460202/{first_household(site, '460202')}/"
    h005 = f"/h/469005/{first_household(site, '469005')}/"
    cases = {
        "s-city": {h105: 200, h202: 200, h005: 403, "/s/4601/": 200, "/s/46/": 403, "/f/4601/": 403},
        "s-county": {h105: 200, h202: 403, "/s/460105/finder.json": 200, "/s/4601/": 403},
        "s-finance": {h005: 200, "/f/46/": 200, "/f/469005/": 200, "/s/46/sitemap.xml": 200},
        "s-stopped": {"/": 403, "/f/46/": 403, h105: 403},
        "s-forged": {"/": 403, "/f/46/": 403, h105: 403},
        "s-forged-group": {"/": 403, "/f/46/": 403},
    }
    for session, expected in cases.items():
        with Client(port, cookie=f"sso={session}") as client:
            assert {url: client.status(url) for url in expected} == expected, session
    status, headers, _ = fetch(port, "/s/4601/")
    assert status == 302
    assert headers["location"] == "/oauth2/sign_in?rd=/s/4601/"  # no server name configured: a path of this site
    assert fetch(port, h105, cookie="sso=unknown")[0] == 302
    # a client cannot name itself through the headers the sign-on endpoint answers with
    with Client(port) as forged:
        forged.headers |= {"X-Auth-Request-User": "jb-46", "X-Auth-Request-Groups": "g-finance"}
        assert forged.status("/f/46/") == 302
    logged = [line for line in log.read_text(encoding="utf-8").splitlines() if f"GET {h202} " in line]
    assert any(" city-user@example.invalid " in line and 'groups="g-dudao"' in line for line in logged)


def browse(page, url: str) -> tuple[str, str]:
    """The DOM once the page's scripts have run and its requests are done, and the browser console's messages."""
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.content(), "\n".join(messages)


@pytest.mark.browser
def test_pages_work_under_the_content_security_policy(built, tmp_path, new_page):
    """The theme's and our scripts run, fetch their JSON and draw; an inline script nobody hashed is refused."""
    root, built_site = built
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    port = free_port()
    with SignOn({"": ("all-46", "")}) as sign_on:  # a standing session: the browser is signed on as all-46
        options = DeployOptions(
            site=site,
            out=tmp_path / "bangfu.conf",
            root=root,
            auth="sso",
            auth_url=f"http://127.0.0.1:{sign_on.port}/oauth2/auth",
            listen=f"127.0.0.1:{port}",
            access_log=tmp_path / "access.log",
        )
        deploy_config(options)
        (site / "probe.html").write_text(
            "<html><body><p>probe</p><script>document.body.setAttribute('data-ran', 'yes')</script></body></html>",
            encoding="utf-8",
        )  # added after deploy-config: unhashed
        nginx = Nginx(tmp_path / "prefix", options.out, port).start()
        try:
            number = first_household(site, "460105")
            pages = {}
            for path in ["/", "/s/460105/", "/s/460105/households/", f"/h/460105/{number}/", "/s/46/stats/", "/probe.html"]:
                pages[path] = browse(new_page(), f"http://127.0.0.1:{port}{path}")
        finally:
            nginx.stop()
    reports = [line for line in (tmp_path / "access.log").read_text(encoding="utf-8").splitlines() if "csp-report" in line]
    dom, log = pages.pop("/probe.html")
    assert 'data-ran="yes"' not in dom and "Content Security Policy" in log
    assert len(reports) == 1
    for path, (dom, log) in pages.items():
        assert 'class="js-focus-visible js"' in dom, path  # the theme's bundle ran
        assert "Content Security Policy" not in log, path
    table = pages["/s/460105/households/"][0]
    assert f'href="../../../h/460105/{number}/"' in table  # table.js fetched households.json and drew the rows

"""Attacks through the served site: real nginx with the generated configuration (CSP included), real Chromium."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from nginx_support import PASSWORD, Nginx, free_port, write_access, write_htpasswd
from site_support import Browser

from generator.demo import write_demo
from generator.deploy import DeployOptions, deploy_config
from generator.site.build import build_site

pytestmark = [pytest.mark.nginx, pytest.mark.slow, pytest.mark.xdist_group("attack-export-site")]

USERS = {"jb-46": [("46", ["经办人"])], "tj-46": [("46", ["统计员"])]}
PRINT_TEXTS = ("打印", "打印本页", "打印本期")
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
    """A small demo province built and served by nginx with basic authentication; yields (port, site)."""
    base = tmp_path_factory.mktemp("attack-site")
    root = base / "archive"
    write_demo(root, 60, 11)
    write_access(root, USERS)
    site = base / "site"
    build_site(root, site)
    port = free_port()
    options = DeployOptions(site=site, out=base / "bangfu.conf", root=root, htpasswd=write_htpasswd(base / "htpasswd", USERS),
                            listen=f"127.0.0.1:{port}", access_log=base / "access.log")
    deploy_config(options)
    nginx = Nginx(base / "prefix", options.out, port).start()
    try:
        yield port, site
    finally:
        nginx.stop()


def _print_pages(site: Path) -> list[str]:
    """A page of every kind that offers a print link: household, contact card, batch prints, a notice year."""
    county = max((p for p in (site / "h").iterdir()), key=lambda p: len(list(p.iterdir())))
    household = sorted(county.iterdir())[0]
    notice = sorted(p for p in (site / "s").glob("*/notices/*/index.html") if "bf-notice" in p.read_text(encoding="utf-8"))[0]
    pages = [household / "index.html", household / "card" / "index.html", site / "s" / county.name / "print" / "cards" / "index.html",
             site / "s" / county.name / "print" / "forms" / "index.html", notice]
    return ["/" + p.parent.relative_to(site).as_posix() + "/" for p in pages]


def _click(browser: Browser, index: int) -> None:
    """A person's click (mouse pressed and released) on the index-th print link of the page."""
    box = browser.eval(f"""(function(){{var a=window.__links()[{index}];a.scrollIntoView({{block:'center'}});
        var r=a.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2]}})()""")
    for kind in ("mousePressed", "mouseReleased"):
        browser.page("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)


@pytest.mark.browser
def test_every_print_link_prints_under_the_sites_content_security_policy(served):
    port, site = served
    browser = Browser()
    try:
        token = base64.b64encode(f"jb-46:{PASSWORD}".encode()).decode()
        browser.page("Network.setExtraHTTPHeaders", headers={"Authorization": f"Basic {token}"})
        finder = f"window.__links=function(){{return [...document.querySelectorAll('a')].filter(function(a){{" \
                 f"return {json.dumps(PRINT_TEXTS)}.indexOf(a.textContent.trim())>=0}})}};"
        browser.page("Page.addScriptToEvaluateOnNewDocument", source=RECORDER + finder)
        clicked = 0
        for path in _print_pages(site):
            browser.goto(f"http://127.0.0.1:{port}{path}")
            assert browser.eval("document.title") and "403" not in browser.eval("document.title"), path
            count = browser.eval("window.__links().length")
            assert count >= 1, path
            for index in range(count):
                _click(browser, index)
                browser.wait_for(f"window.__printed.length === {index + 1}", timeout=5)
                target = browser.eval(f"window.__links()[{index}].getAttribute('data-bangfu-print')")
                assert browser.eval(f"window.__printed[{index}]") == (target or ""), path
                clicked += 1
            assert browser.eval("window.__violations") == [], path
            assert browser.eval("document.body.className").find("bf-printing-one") < 0, path
        assert clicked >= 6
    finally:
        browser.close()


def test_no_page_holds_a_javascript_link(served):
    """javascript: URLs are what the policy blocks: none may be left anywhere in the site."""
    _, site = served
    pages = [p for p in site.rglob("*.html") if "javascript:" in p.read_text(encoding="utf-8")]
    assert not pages, pages[:3]

"""Helpers for the site tests: the samples built once, a loopback server, and Debian's Chromium driven by Playwright.

tests/conftest.py holds the fixtures: one Chromium per test process (started when a test first asks for it), a
fresh context per test that may reach 127.0.0.1 only.
"""

from __future__ import annotations

import atexit
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium that stays on this machine: no network of its own, no background services, no name but 127.0.0.1 resolves.
# (Playwright starts it headless and adds its own automation flags.)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
_BUILT: dict[str, tuple[Path, Path]] = {}


def copy_samples(root: Path, *, git: bool = True) -> Path:
    """The repository's sample records (and settings) in a fresh archive root, committed to a new git repository."""
    shutil.copytree(REPO / "records", root / "records")
    if git:
        run = functools.partial(subprocess.run, cwd=root, check=True, capture_output=True)
        run(["git", "init", "-q", "-b", "main"])
        run(["git", "add", "records"])
        run(["git", "commit", "-q", "-m", "导入样例档案"])
    return root


def built_samples() -> tuple[Path, Path]:
    """(archive root, site folder): the samples built once per test process."""
    if "samples" not in _BUILT:
        from generator.pipeline import build_site

        base = Path(tempfile.mkdtemp(prefix="bangfu-site-"))
        atexit.register(shutil.rmtree, base, True)
        root = copy_samples(base / "archive")
        out = base / "out" / "site"
        build_site(root, out)
        _BUILT["samples"] = (root, out)
    return _BUILT["samples"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that closes a connection mid-answer (a page left, a context closed) is no test failure."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextmanager
def serving(folder: Path):
    """Serve a folder on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    server = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


VIEWPORT = {"width": 1280, "height": 1000}
# Any address but the loopback servers the tests start (data:, blob: and about: never reach the network).
OUTSIDE = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|blob:|about:)")


def launch(playwright):
    """Debian's Chromium, headless, driven by Playwright (no browser of Playwright's own is downloaded or used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)


def loopback_context(browser, **options):
    """(context, refused): a fresh browser context whose requests to anywhere but 127.0.0.1 are refused and listed."""
    context = browser.new_context(**{"viewport": VIEWPORT, "device_scale_factor": 1, **options})
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(OUTSIDE, refuse)
    return context, refused


def wait_for(page, expression: str, timeout: float = 10):
    """The value of a script expression once it is truthy (checked every frame); Playwright's TimeoutError after timeout s."""
    return page.wait_for_function(expression, timeout=timeout * 1000).json_value()


def pdf_pages(page) -> list[tuple[float, float]]:
    """The (width, height) in points of each sheet when Chromium prints the page to PDF (the page's CSS sheet size)."""
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    return [(float(x2) - float(x1), float(y2) - float(y1)) for x1, y1, x2, y2 in boxes]

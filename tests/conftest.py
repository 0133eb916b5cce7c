"""Shared fixtures: a fixed today, a fresh archive root, the repository's own paths."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "cases"
TODAY = "2026-12-02"

# Every test sees the same "today" so date rules and worklists are reproducible.
os.environ["BANGFU_TODAY"] = TODAY
# Tests make their own git repositories; they must never depend on the machine's git identity.
os.environ.setdefault("GIT_AUTHOR_NAME", "测试作者")
os.environ.setdefault("GIT_AUTHOR_EMAIL", "author@example.invalid")
os.environ.setdefault("GIT_COMMITTER_NAME", "测试作者")
os.environ.setdefault("GIT_COMMITTER_EMAIL", "author@example.invalid")
# Archives outside git keep their caches in the user's cache folder: the tests' go to a folder of their own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bangfu-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


def apply_changes(data: dict, changes: dict) -> dict:
    """Replace top-level fields of a record dict in place; a value of None removes the field."""
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def sample_reviewers_text() -> str:
    """The sample reviewers list as a fresh test archive starts: without what belongs to this repository's history.

    The audit baseline names one of this repository's commits; the sample reviewers' registered keys
    (tests/fixtures/sample-keys) and 要求签名 date from this repository's own migration to signed approvals.
    A test archive starts unsigned, and tests that sign register keys made at run time (history_support.with_keys).
    """
    text = (REPO / "records" / "_settings" / "reviewers.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(# 建档时.*\n)?审计起点:.*\n", "", text)
    text = re.sub(r"(?m)^(# .*\n)*要求签名:.*\n", "", text)
    return re.sub(r"(?m)^    公钥:\n(^      .*\n)*", "", text)


def make_archive(root: Path) -> Path:
    """An empty archive root: records/ with the repository's settings files, and the schema."""
    (root / "records").mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "records" / "_settings", root / "records" / "_settings", dirs_exist_ok=True)
    reviewers = root / "records" / "_settings" / "reviewers.yaml"
    # The repository's own audit baseline names one of its commits, which a test archive does not have.
    reviewers.write_text(sample_reviewers_text(), encoding="utf-8")
    return root


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A fresh archive root in tmp_path with settings but no households."""
    return make_archive(tmp_path / "archive")


@pytest.fixture
def base_record_text() -> str:
    """The text of a valid household (tests/cases/base.yaml)."""
    return (CASES / "base.yaml").read_text(encoding="utf-8")


# --- the browser: Debian's Chromium through Playwright, one per test process, a fresh context per test ------------


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright, started the first time a test of this process needs it."""
    from site_support import CHROMIUM, launch

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium):
    """Opens a page in a fresh browser context (options as Browser.new_context's); closed after the test.

    Every context may reach 127.0.0.1 only: a request for anywhere else is refused, and fails the test."""
    from site_support import loopback_context

    opened = []

    def open_page(**options):
        context, refused = loopback_context(chromium, **options)
        opened.append((context, refused))
        return context.new_page()

    yield open_page
    for context, _ in opened:
        context.close()
    outside = [url for _, refused in opened for url in refused]
    assert not outside, f"the browser tried to leave 127.0.0.1: {outside}"


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context, 1280×1000, that may reach 127.0.0.1 only."""
    return new_page()

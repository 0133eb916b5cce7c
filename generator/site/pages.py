"""Household pages for every record: rendered only when the record, its history or a shared input changed."""

from __future__ import annotations

import hashlib

from generator.rules import Unusable, assess
from generator.site.household import household_pages
from generator.site.urls import household

PAGES = ("", "card", "history")


def page_key(record, site) -> str:
    """Names everything the household's pages are made from."""
    parts = [site.key, record.blob, site.history.digest(record.path)]
    if record.data.get("是否农民工") == "是":
        parts.append(site.today.isoformat())  # the 一核查 part of the trace depends on today
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:20]


def rels(record) -> list[str]:
    number = str(record.data.get("职工编号") or record.stem)
    return [household(record.county, number, page) + "index.html" for page in PAGES]


def render_households(records, site, writer, *, jobs: int | None = None) -> int:
    """Bring every household's pages up to date in the writer; returns how many households were rendered."""
    todo = []
    for record in records:
        key = page_key(record, site)
        if not all([writer.keep(rel, key) for rel in rels(record)]):
            todo.append((record, key))
    site.history.prepare([r.path for r, _ in todo])
    for record, key in todo:
        for rel, html in render_one(record, site).items():
            writer.put(rel, html, key)
    return len(todo)


def render_one(record, site) -> dict[str, str]:
    try:
        assessment = assess(record.data, record.county, site.standards, site.today)
    except Unusable:
        assessment = None
    return household_pages(record, assessment, site.history.changes(record.path), site)

"""Household pages and each county's batch print pages: rendered only when what they show changed.

At scale the rendering is shared by worker processes (fork): the parent decides what is stale, the workers
render and write into the spare folder, and the parent merges what they wrote into the manifest.
"""

from __future__ import annotations

import hashlib
from itertools import groupby

from generator.access import urls
from generator.parallel import context, workers
from generator.records.schema import ACTIVE
from generator.rules import Unusable, assess
from generator.site.common import INACTIVE
from generator.site.household import fragments, household_pages, household_view
from generator.site.render import render

PAGES = ("", "card", "history")
_JOB: dict = {}  # in a worker process: what _adopt was handed


def page_key(record, site) -> str:
    """Names everything the household's pages are made from."""
    parts = [site.key, record.blob, site.history.digest(record.path)]
    if record.data.get("是否农民工") == "是":
        parts.append(site.today.isoformat())  # the 一核查 part of the trace depends on today
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:20]


def rels(record) -> list[str]:
    number = str(record.data.get("职工编号") or record.stem)
    return [urls.household(record.county, number, page) + "index.html" for page in PAGES]


def render_households(records, site, writer, keys: dict[str, str], *, jobs: int | None = None) -> int:
    """Bring every household's pages and every county's batch print pages up to date; returns households rendered."""
    counties = []
    stale_total = 0
    for county, group in groupby(sorted(records, key=lambda r: r.path), key=lambda r: r.county):
        group = list(group)
        stale = [r for r in group if not all([writer.keep(rel, keys[r.path]) for rel in rels(r)])]
        batch = [(page, key) for page, key in _batch_keys(county, group, keys, site) if not writer.keep(page + "index.html", key)]
        if stale or batch:
            counties.append((county, group, keys, stale, batch))
            stale_total += len(stale)
    stale_records = [r for c in counties for r in c[3]]
    site.history.prepare([r.path for r in stale_records], records=stale_records)
    count = workers("render", stale_total, jobs)
    if count == 1 or context().get_start_method() != "fork":  # workers write through the parent's writer
        for job in counties:
            _county(job, site, writer)
        return stale_total
    # A forked worker copies every page of the parent's memory it touches (reference counts), so
    # over a province each would come to hold a copy of what it rendered; a fresh worker per
    # county keeps the process tree near the parent's own size (1.3 GB → about 0.8 GB PSS).
    with context().Pool(count, _adopt, (site, writer, counties), maxtasksperchild=1) as pool:
        for entries, written in pool.imap_unordered(_worker, range(len(counties))):
            writer.merge(entries, written)
    return stale_total


def _adopt(site, writer, counties) -> None:
    """A worker's start: the build's state, handed over as the pool's arguments (inherited by fork, not pickled)."""
    _JOB.update(site=site, writer=writer, counties=counties)


def _worker(index: int):
    site, writer = _JOB["site"], _JOB["writer"]
    writer.track()
    _county(_JOB["counties"][index], site, writer)
    return writer.tracked(), writer.written


def _county(job, site, writer) -> None:
    county, group, keys, stale, batch = job
    parts = {}
    for record in stale:
        pages, parts[record.path] = render_one(record, site)
        for rel, html in pages.items():
            writer.put(rel, html, keys[record.path])
    for page, key in batch:
        _batch_page(page, key, county, group, parts, site, writer)


def render_one(record, site):
    try:
        assessment = assess(record.data, record.county, site.standards, site.today)
    except Unusable:
        assessment = None
    return household_pages(record, assessment, site.history.changes(record.path), site)


def _chosen(page: str, group: list) -> list:
    active = [r for r in group if r.data.get("状态") not in INACTIVE]
    return [r for r in active if r.data.get("状态") == ACTIVE] if page.endswith("cards/") else active


def _batch_keys(county: str, group: list, keys: dict, site) -> list[tuple[str, str]]:
    out = []
    for page in ("print/cards", "print/forms"):
        path = urls.scope(county, page)
        chosen = _chosen(path, group)
        out.append((path, hashlib.sha1("|".join([site.key, path] + [keys[r.path] for r in chosen]).encode()).hexdigest()[:20]))
    return out


def _batch_page(path: str, key: str, county: str, group: list, parts: dict, site, writer) -> None:
    """All contact cards (or archive forms) of a county on one page, one household per printed A4 sheet."""
    cards = path.endswith("cards/")
    items = []
    for record in _chosen(path, group):
        found = parts.get(record.path)
        if found is None:
            found = parts[record.path] = fragments(household_view(record, None, [], site))
        items.append(found["cards_html" if cards else "form_html"])
    name = site.regions.name(county)
    title = "联系卡批量打印" if cards else "档案表批量打印"
    crumbs = [(c, site.regions.name(c)) for c in reversed(site.regions.ancestors(county))]
    body = render(
        "print_cards.html" if cards else "print_forms.html",
        base=urls.base(path),
        items=items,
        crumbs=crumbs,
        title=title,
        name=name,
        scope=county,
    )
    writer.put(path + "index.html", site.shell.page(f"{name} {title}", body, urls.depth(path)), key)

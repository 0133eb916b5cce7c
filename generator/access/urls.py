"""The site's URL layout and the access area of each part (nginx is configured against exactly this)."""

from __future__ import annotations

from generator.access.privacy import ARCHIVE, FINANCE, LIST, NOTICE, STATS

HOUSEHOLD = "h"
SCOPE = "s"
FINANCE_ROOT = "f"

# (path pattern, area): which area of the role policy a part of the site belongs to. `<scope>` is a region
# code (46, 4601, 460105); a role's scope must be a prefix of the code in the URL. `/s/<scope>/` itself
# shows counts and links only, so any role holding the scope may read it.
URL_AREAS: tuple[tuple[str, str | None], ...] = (
    ("/h/<county>/<职工编号>/", ARCHIVE),
    ("/h/<county>/<职工编号>/card/", ARCHIVE),
    ("/h/<county>/<职工编号>/history/", ARCHIVE),
    ("/s/<scope>/print/", ARCHIVE),
    ("/s/<scope>/households/", LIST),
    ("/s/<scope>/households.json", LIST),
    ("/s/<scope>/finder.json", LIST),
    ("/s/<scope>/worklists/", LIST),
    ("/s/<scope>/exited/", LIST),
    ("/s/<scope>/cancelled/", LIST),
    ("/s/<scope>/sitemap.xml", LIST),
    ("/s/<scope>/notices/", NOTICE),
    ("/s/<scope>/stats/exact/", ARCHIVE),  # small cells unhidden: only for those who read the households anyway
    ("/s/<scope>/stats/", STATS),
    ("/s/<scope>/", None),
    ("/f/<scope>/", FINANCE),
)


def household(county: str, number: str, page: str = "") -> str:
    """Root-relative path of a household page: h/460105/4601050001/ (page: '', 'card', 'history')."""
    return f"{HOUSEHOLD}/{county}/{number}/" + (f"{page}/" if page else "")


def scope(code: str, page: str = "") -> str:
    """Root-relative path of a scope page: s/4601/ or s/4601/stats/."""
    return f"{SCOPE}/{code}/" + (page if not page or page.endswith((".json", ".xml", ".csv")) else f"{page}/")


def finance(code: str, page: str = "") -> str:
    """Root-relative path of a finance page: f/460105/."""
    return f"{FINANCE_ROOT}/{code}/" + (f"{page}/" if page else "")


def depth(path: str) -> int:
    """How many folders deep a root-relative page path is (h/460105/4601050001/ → 3)."""
    return path.rstrip("/").count("/") + 1 if path.strip("/") else 0


def base(path: str) -> str:
    """The relative prefix from a page back to the site root: '../../../' for depth 3."""
    return "../" * depth(path)

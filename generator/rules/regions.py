"""Administrative regions (GB/T 2260) of the province: names, levels, parents, scopes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from generator import DATA_DIR


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # province | city | county
    parent: str | None
    weight: int = 0


class Regions:
    """The province's region table with the questions scopes ask of it."""

    def __init__(self, items: list[Region]):
        self._by_code = {r.code: r for r in items}
        self.province = next(r.code for r in items if r.level == "province")

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def name(self, code: str) -> str:
        region = self._by_code.get(code)
        return region.name if region else code

    def parent(self, code: str) -> str | None:
        region = self._by_code.get(code)
        return region.parent if region else None

    def ancestors(self, code: str) -> list[str]:
        """The code itself, then its parents up to the province."""
        chain = []
        while code:
            chain.append(code)
            code = self.parent(code)
        return chain

    def full_name(self, code: str) -> str:
        """海南省海口市秀英区 style name (a county-level city named once)."""
        names = []
        for c in reversed(self.ancestors(code)):
            name = self.name(c)
            if not names or names[-1] != name:
                names.append(name)
        return "".join(names)

    def counties(self, scope: str | None = None) -> list[str]:
        """County codes, all or those inside a scope."""
        return [r.code for r in self._by_code.values() if r.level == "county" and (scope is None or self.contains(scope, r.code))]

    def contains(self, scope: str, code: str) -> bool:
        """True when region `code` lies inside scope `scope` (or is it)."""
        return scope in self.ancestors(code)

    def children(self, code: str) -> list[str]:
        return [r.code for r in self._by_code.values() if r.parent == code]

    def scopes(self) -> list[str]:
        """Every union level that keeps a scope: the province, each city, each county."""
        return list(self._by_code)

    def level(self, code: str) -> str:
        region = self._by_code.get(code)
        return region.level if region else ""

    def is_county(self, code: str) -> bool:
        return self.level(code) == "county"


@lru_cache(maxsize=1)
def regions() -> Regions:
    """The packaged region table of the province."""
    raw = json.loads((DATA_DIR / "regions.json").read_text(encoding="utf-8"))
    return Regions([Region(r["code"], r["name"], r["level"], r.get("parent"), r.get("weight", 0)) for r in raw["regions"]])

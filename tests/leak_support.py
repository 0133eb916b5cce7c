"""Find households' names and ID numbers (full or masked) in every file of a built site, whatever its format."""

from __future__ import annotations

import gzip
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from generator.access.privacy import mask_id, mask_name

_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{9}(?![0-9])")  # 职工编号: names no one, but says a household exists
_MASKED_ID = re.compile(r"[1-9][0-9]{3}\*{10}[0-9]{3}[0-9X]")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_REGION = re.compile(r"^([hsf])/([1-9][0-9](?:[0-9]{2}){0,2})/")


@dataclass
class Household:
    """One household's number, its people (names and ID numbers) and every string its record mentions."""

    number: str
    county: str
    names: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)

    def tokens(self) -> set[str]:
        """The household's people as stored and as masked: what must not appear outside its scope."""
        masked = {mask_name(n) for n in self.names if len(n) > 1} | {mask_id(i) for i in self.ids}
        return self.names | self.ids | masked | {self.number}


def households_of(records) -> list[Household]:
    """Every household's identifying tokens (head and members) and its record's strings."""
    out = []
    for record in records:
        data = record.data
        household = Household(data["职工编号"], record.county)
        for person in [data, *data.get("家庭主要成员", [])]:
            if person.get("姓名"):
                household.names.add(person["姓名"])
            if person.get("身份证号"):
                household.ids.add(person["身份证号"])
        # Staff (建档人, 核查人 …) may share a synthetic name with someone elsewhere: a page may show what its
        # own record says, in full or masked.
        strings = set(_strings(data))
        household.mentions = strings | {mask_name(s) for s in strings if 1 < len(s) <= 6} | household.tokens()
        out.append(household)
    return out


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class TokenIndex:
    """Person token → the counties whose records mention it; one regex finds every name in a text."""

    def __init__(self, households: list[Household]):
        searched = set().union(*(h.tokens() for h in households)) if households else set()
        self.owners: dict[str, set[str]] = {token: set() for token in searched}
        for household in households:
            for token in household.mentions & searched:
                self.owners[token].add(household.county)
        names = [t for t in searched if not (_ID.fullmatch(t) or _MASKED_ID.fullmatch(t) or _NUMBER.fullmatch(t))]
        self._names = re.compile(_trie_regex(names)) if names else None

    def find(self, text: str) -> set[str]:
        """Every household person token in the text (IDs by shape, names by the trie)."""
        found = {m for m in _ID.findall(text) if m in self.owners}
        found |= {m for m in _MASKED_ID.findall(text) if m in self.owners}
        found |= {m for m in _NUMBER.findall(text) if m in self.owners}
        if self._names is not None:
            found |= set(self._names.findall(text))
        return found

    def foreign(self, tokens: set[str], region: str | None) -> set[str]:
        """Tokens that no record inside `region` mentions (None: the handbook, where no household may appear)."""
        return {t for t in tokens if region is None or not any(c.startswith(region) for c in self.owners[t])}


def _trie_regex(words: list[str]) -> str:
    """One regex matching any of the words, longest first, built as a trie so it stays fast for thousands."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = "" in node
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        if end:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return "(?:" + emit(trie) + ")"


class Finder:
    """Finds any of a set of strings in a text with one trie regex."""

    def __init__(self, words):
        words = [w for w in set(words) if w]
        self._regex = re.compile(_trie_regex(words)) if words else None

    def find(self, text: str) -> set[str]:
        return set(self._regex.findall(text)) if self._regex is not None else set()


_S_AREAS = {
    "stats": "stats",
    "notices": "notice",
    "print": "archive",
    "households": "list",
    "households.json": "list",
    "finder.json": "list",
    "sitemap.xml": "list",
    "worklists": "list",
    "exited": "list",
    "cancelled": "list",
}


def area_of(path: str) -> tuple[str, str]:
    """(area, region code) of a site path, by the layout the issue decided; ("handbook", "") elsewhere."""
    parts = path.strip("/").split("/")
    if parts[0] == "h" and len(parts) > 1:
        return "archive", parts[1]
    if parts[0] == "f" and len(parts) > 1:
        return "finance", parts[1]
    if parts[0] == "s" and len(parts) > 1:
        rest = parts[2:]
        if rest in ([], [""], ["index.html"]):
            return "index", parts[1]
        if rest[:2] == ["stats", "exact"]:
            return "archive", parts[1]  # exact statistics, small cells unhidden
        return _S_AREAS.get(rest[0], "nobody"), parts[1]
    return "handbook", ""


def texts(path: Path) -> list[str]:
    """Every readable form of a file: as is, unescaped (HTML entities, \\u escapes, %-encoding), unpacked (gz, zip)."""
    data = path.read_bytes()
    blobs = [data]
    if data[:2] == b"\x1f\x8b":
        blobs = [gzip.decompress(data)]
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            blobs = [archive.read(name) for name in archive.namelist()]
    out = []
    for blob in blobs:
        text = blob.decode("utf-8", errors="replace")
        out.append(text)
        plain = unquote(html.unescape(_JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)))
        if plain != text:
            out.append(plain)
    return out


def region_of(rel: str) -> str | None:
    """The region a site file belongs to (its readers hold a prefix of it); None for the handbook."""
    match = _REGION.match(rel)
    return match.group(2) if match else None


def site_files(site: Path) -> list[str]:
    """Every servable file of a built site (dotfiles are never served), as site-relative paths."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(site).parts)
    )


def scan(site: Path, index: TokenIndex) -> dict[str, set[str]]:
    """Site file → the foreign tokens it holds (tokens of households outside its region)."""
    leaks = {}
    for rel in site_files(site):
        found = set()
        for text in texts(site / rel):
            found |= index.find(text)
        found |= index.find(rel)
        foreign = index.foreign(found, region_of(rel))
        if foreign:
            leaks[rel] = foreign
    return leaks

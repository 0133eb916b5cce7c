"""The content security policy of the built site: self only, and inline code only by the hash of what is there."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator.records import cache

REPORT = "/_bangfu/csp-report"  # browsers POST policy violations here; the access log shows them
_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
# Both start with literal text so the regex engine skips ahead fast (a province is ~1.4 GB of HTML).
_STYLE_ATTR = re.compile(rb"""style\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HANDLER_ATTR = re.compile(rb"""on(?:click|load|error|change|input|submit|mouse[a-z]+|key[a-z]+|focus|blur)\s*=\s*["']""")
_DATA_TYPE = re.compile(rb"""\btype\s*=\s*["']?(?!text/javascript|module|application/javascript)[a-z]""", re.I)


@dataclass
class Csp:
    """What the content security policy must allow: hashes of inline code found in the built pages."""

    scripts: list[str]
    styles: list[str]
    attributes: list[str]


def scan(site: Path, warnings: list[str], root: Path | None = None) -> Csp:
    """Hashes of every inline script, style element and style attribute in the built HTML (CSP allows only those).

    A province is ~80,000 pages; a page the last run saw (same inode, size and modification time: the build
    hard-links unchanged pages into each new generation) is not read again.
    """
    previous = cache.read(root, "csp-scan") if root is not None else {}
    seen: dict[str, tuple] = {}
    interned: dict = {}
    for rel, stat in _html_files(site):
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        entry = previous.get(rel)
        if entry is None or entry[0] != key:
            found = _inline(Path(site, rel).read_bytes())
            entry = (key, *(interned.setdefault(part, part) for part in found))
        seen[rel] = entry
    if root is not None:
        cache.write(root, "csp-scan", seen)
    scripts, styles, attributes = set(), set(), set()
    handlers = []
    for rel, (_key, page_scripts, page_styles, page_attributes, handler) in sorted(seen.items()):
        scripts.update(page_scripts)
        styles.update(page_styles)
        attributes.update(page_attributes)
        if handler:
            handlers.append(rel)
    if handlers:
        warnings.append(f"{len(handlers)} 个页面有内联事件处理（onclick= 等），内容安全策略会拦截，例如 {handlers[0]}。")
    return Csp(sorted(scripts), sorted(styles), sorted(attributes))


def _html_files(site: Path):
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(site / prefix if prefix else site) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel + "/")
                elif entry.name.endswith(".html"):
                    yield rel, entry.stat()


def _inline(data: bytes) -> tuple[frozenset, frozenset, frozenset, bool]:
    """The CSP hashes of one page's inline scripts, style elements and style attributes; and inline handlers."""
    scripts = set()
    if b"<script" in data:
        for match in _SCRIPT.finditer(data):
            attrs, body = match.groups()
            if b"src=" not in attrs and not _DATA_TYPE.search(attrs):
                scripts.add(body)
    styles = _STYLE.findall(data) if b"<style" in data else []
    attributes = [a or b for a, b in _STYLE_ATTR.findall(data)] if b"style" in data else []
    return (
        frozenset(_hashes(scripts)),
        frozenset(_hashes(styles)),
        frozenset(_hashes(attributes)),
        bool(_HANDLER_ATTR.search(data)),
    )


def _hashes(bodies) -> list[str]:
    return sorted(f"'sha256-{base64.b64encode(hashlib.sha256(b).digest()).decode()}'" for b in set(bodies))


def content_security_policy(csp: Csp) -> str:
    """Self only; inline code only by hash; data: images because the theme draws its icons with them."""
    script = " ".join(["'self'", *csp.scripts])
    style = " ".join(["'self'", *csp.styles, *(["'unsafe-hashes'", *csp.attributes] if csp.attributes else [])])
    return (
        f"default-src 'self'; script-src {script}; style-src {style}; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        f"frame-ancestors 'none'; report-uri {REPORT}"
    )

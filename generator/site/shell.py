"""The theme layer: material's page frame rendered once per depth, into which generated pages are spliced.

Everything that knows about mkdocs-material lives here and in plugin.py; a successor theme needs only a new
`render_shells`. Generated pages never pass through Markdown or the theme's template engine per page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape

TITLE = "BANGFU-SHELL-TITLE"
CONTENT = "BANGFU-SHELL-CONTENT"
ABSOLUTE = 0  # the depth key of the shell whose links start at "/" (error pages, served at any URL)
MAX_DEPTH = 5
# Pages of generated content hide the handbook's side navigation and table of contents to give tables room.
_HIDE = ["navigation", "toc"]
_INDENT = re.compile(r"\n[ \t]+")
_BLANK = re.compile(r"\n{2,}")


@dataclass(frozen=True)
class Shell:
    """The page frame at each folder depth, split around the content placeholder."""

    frames: dict[int, tuple[str, str]]

    def page(self, title: str, body: str, depth: int, heading: str | None = None) -> str:
        """A whole HTML page: the frame for `depth` with the title and body put in.

        heading: what the page itself shows as its heading, when it differs from the <title> (which browsers keep in
        their history and tab lists, so it carries no personal information: docs/access.md)."""
        head, tail = self.frames[depth]
        if heading is not None and "</title>" in head:
            before, after = head.split("</title>", 1)
            return (
                before.replace(TITLE, escape(title, quote=True))
                + "</title>"
                + after.replace(TITLE, escape(heading, quote=True))
                + body
                + tail
            )
        return head.replace(TITLE, escape(title, quote=True)) + body + tail

    def to_json(self) -> str:
        return json.dumps({str(k): v for k, v in self.frames.items()}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Shell:
        return cls({int(k): tuple(v) for k, v in json.loads(text).items()})


def render_shells(config, env, nav, files) -> Shell:
    """Render material's main.html for a synthetic page at each depth (and one with absolute links)."""
    from mkdocs.commands.build import get_context
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page

    template = env.get_template("main.html")
    frames: dict[int, tuple[str, str]] = {}
    for depth in range(1, MAX_DEPTH + 1):
        src = "/".join(["_bangfu_shell"] + [f"d{i}" for i in range(1, depth)]) + "/index.md"
        file = File.generated(config, src, content="")
        page = Page(TITLE, file, config)
        page.content = CONTENT
        page.meta = {"hide": list(_HIDE)}
        page.canonical_url = None
        page.edit_url = None
        context = get_context(nav, files, config, page)
        context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
        html = template.render(context)
        frames[depth] = _split(html)
    frames[ABSOLUTE] = _absolute(frames[1])
    return Shell(frames)


def _split(html: str) -> tuple[str, str]:
    head, found, tail = compact(html).partition(CONTENT)
    if not found or CONTENT in tail or TITLE in tail:
        raise ValueError("theme frame does not contain the content placeholder exactly once")
    return head, tail


def compact(html: str) -> str:
    """Drop indentation and blank lines (the theme's templates are generous with both); a newline stays."""
    return _BLANK.sub("\n", _INDENT.sub("\n", html))


def _absolute(frame: tuple[str, str]) -> tuple[str, str]:
    """The depth-1 frame with its '../' links made root-absolute (error pages answer at any URL)."""

    def fix(text: str) -> str:
        for quote in ('"', "'"):
            text = text.replace(f"{quote}../", f"{quote}/").replace(f"{quote}..{quote}", f"{quote}/{quote}")
        return text

    return fix(frame[0]), fix(frame[1])

"""Text from records and commits as inert markdown for a pull request comment (review, impact)."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_\[\]()!|~#$^{}])")
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def md(text) -> str:
    """Text from records or commits as inert markdown: no HTML, links, images, emphasis or line breaks survive."""
    text = _BREAKS.sub(" ", str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def code(text) -> str:
    """A path or revision as a code span that no backtick inside it can close (code spans render nothing)."""
    text = _BREAKS.sub(" ", str(text))
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"

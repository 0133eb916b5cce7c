"""A fast reader for the plain subset of YAML that household records are written in.

libyaml through PyYAML costs about 3 ms for one household on a small machine, most of it in
building Python event and node objects; a province has 26,700 of them. Records written by
`bangfu fmt`, `bangfu demo` and the editing commands (and by most people) use only block
mappings and sequences of one-line scalars, which this module reads line by line, ten times faster.

It gives up (`NotCanonical`) on anything outside that subset, however legal: anchors, tags, flow
collections other than `[]` and `{}`, block and multi-line scalars, escapes, comments after a
value, duplicate keys, odd indentation, document markers, unusual characters. The caller then reads
the file with the strict loader, which also locates and words every problem. Scalars are resolved
with PyYAML's own implicit resolvers and constructors, so the data is identical to the strict
loader's (a property test compares the two on every sample and on random mutations).
"""

from __future__ import annotations

import re

import yaml

# Only these characters may appear at all (printable, no tab, no YAML line break but "\n": libyaml
# also breaks lines at U+0085, U+2028 and U+2029).
_ALLOWED = re.compile(r"[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
# One line: indentation, "- " (not before "-", "#" or nothing), a key (a plain word with no space,
# colon or hash, not starting with an indicator) with its colon, and the rest without end spaces.
_HEAD = r"^( *)(- +(?=[^\s\-#]))?(?:([^\s\-?:,\[\]{}#&*!|>'\"%@`<=~][^\s:#]*):(?: +|$))?"
_LINE = re.compile(_HEAD + r"([^\n]*)", re.M)
_LINE_SPACED = re.compile(_HEAD + r"(.*?) *$", re.M)  # the same, for text with spaces at line ends
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
# First characters after which a plain value may be something other than text.
_SPECIAL_FIRST = _INDICATORS | frozenset(k for k in _RESOLVERS if k)
_DIGITS = frozenset("0123456789")
_CONSTRUCT = yaml.constructor.SafeConstructor()
_SMALL_INT = re.compile(r"[1-9][0-9]{0,15}|0")
_SIMPLE_FLOAT = re.compile(r"[1-9][0-9]{0,14}\.[0-9]{1,6}|0\.[0-9]{1,6}")
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_DEPTH = 20


class NotCanonical(Exception):
    """The text uses YAML beyond the plain subset; read it with the strict loader."""


def read(text: str) -> dict:
    """The data of a record, exactly as the strict loader gives it (no line map, no source texts)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # files saved on Windows; a lone "\r" stays and is refused
    if _ALLOWED.fullmatch(text) is None:
        raise NotCanonical
    # (key column, "- " column or -1, key or "", rest) for every line that holds content.
    rows = [
        (len(ind) + len(dash), len(ind) if dash else -1, key, rest)
        for ind, dash, key, rest in (_LINE_SPACED if " \n" in text or text[-1:] == " " else _LINE).findall(text)
        if key or dash or (rest and rest[0] != "#")
    ]
    if not rows or rows[0][0] != 0 or rows[0][1] != -1 or not rows[0][2]:
        raise NotCanonical
    data, end = _mapping(rows, 0, 0, 0)
    if end != len(rows):
        raise NotCanonical
    return data


def _mapping(rows: list, i: int, indent: int, depth: int) -> tuple[dict, int]:
    """The block mapping whose keys sit at column `indent`, from row i (which may carry a "- ")."""
    if depth > _MAX_DEPTH - 2:
        raise NotCanonical
    out: dict = {}
    count = len(rows)
    first = True
    while i < count:
        col, dash, key, rest = rows[i]
        if col != indent or (dash >= 0 and not first):
            break
        if not key:
            if dash < 0:
                raise NotCanonical  # a line that is neither "key: value" nor "- item"
            break
        first = False
        if key in out:
            raise NotCanonical
        i += 1
        if rest:
            head = rest[0]
            if head == '"':
                if rest[-1] == '"' and len(rest) > 1:
                    inner = rest[1:-1]
                    if '"' not in inner and "\\" not in inner:
                        out[key] = inner
                        continue
            elif head not in _SPECIAL_FIRST:
                if ": " not in rest and " #" not in rest and rest[-1] != ":":
                    out[key] = rest
                    continue
            elif head in _DIGITS and rest.isdigit() and rest.isascii() and (head != "0" or rest == "0"):
                out[key] = int(rest)
                continue
            out[key] = _scalar(rest)
            continue
        if i < count:
            next_col, next_dash = rows[i][0], rows[i][1]
            if next_dash >= indent:
                out[key], i = _sequence(rows, i, next_dash, depth + 1)
                continue
            if next_col > indent and next_dash < 0:
                out[key], i = _mapping(rows, i, next_col, depth + 1)
                continue
        out[key] = None
    if i < count:
        next_col, next_dash = rows[i][0], rows[i][1]
        if next_dash >= indent or (next_dash < 0 and next_col > indent):
            raise NotCanonical  # deeper lines that belong to nothing (a wrapped value, say)
    return out, i


def _sequence(rows: list, i: int, dash_at: int, depth: int) -> tuple[list, int]:
    """The block sequence whose "- " sit at column dash_at."""
    if depth > _MAX_DEPTH - 2:
        raise NotCanonical
    out: list = []
    count = len(rows)
    while i < count:
        col, dash, key, rest = rows[i]
        if dash != dash_at:
            if dash > dash_at:
                raise NotCanonical
            break
        if key:
            item, i = _mapping(rows, i, col, depth + 1)
            out.append(item)
        else:
            out.append(_scalar(rest))
            i += 1
    return out, i


def _scalar(text: str):
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise NotCanonical
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise NotCanonical
        return inner.replace("''", "'")
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if first in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        if not (first == "-" and len(text) > 1 and text[1] in "0123456789." and " " not in text):
            raise NotCanonical
    resolvers = _RESOLVERS.get(first)
    if resolvers is None:
        return text
    for tag, pattern in resolvers:  # noqa: B007 - the matching tag is used after the loop
        if pattern.match(text):
            break
    else:
        return text
    if tag == _INT:
        return int(text) if _SMALL_INT.fullmatch(text) else _CONSTRUCT.construct_yaml_int(yaml.ScalarNode(tag, text))
    if tag == _FLOAT:
        if _SIMPLE_FLOAT.fullmatch(text):
            return float(text)
        number = _CONSTRUCT.construct_yaml_float(yaml.ScalarNode(tag, text))
        if number != number or number in (float("inf"), float("-inf")):
            raise NotCanonical  # the strict loader words this refusal
        return number
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _CONSTRUCT.bool_values[text.lower()]
    if tag == _TIMESTAMP:
        try:
            return _CONSTRUCT.construct_yaml_timestamp(yaml.ScalarNode(tag, text)).isoformat()
        except ValueError:
            return text
    raise NotCanonical  # merge keys, "=" and anything else the strict loader refuses

"""The fast reader gives exactly the strict loader's data, or steps aside; the stat cache never hides a change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CASES, REPO, make_archive
from hypothesis import given, settings
from hypothesis import strategies as st
from test_load_safety import BASE_LINES, YAML_BITS, _mutate

from generator.records import canonical
from generator.records.dump import dump_record
from generator.records.load import RecordRejected, parse_bytes, parse_yaml
from generator.validation.validate import validate_tree

SAMPLES = sorted((REPO / "records").glob("4*/*.yaml"))
VALID_CASES = sorted((CASES / "valid").glob("*.yaml"))


def strict(text: str):
    """What the strict loader (libyaml) gives, or the refusal it raises."""
    try:
        data, _, _ = parse_yaml(text.encode("utf-8", "surrogatepass"), lines=True)
    except RecordRejected as exc:
        return ("refused", exc.code)
    return data


def fast(text: str):
    try:
        return canonical.read(text)
    except canonical.NotCanonical:
        return None


def assert_same_or_steps_aside(text: str) -> None:
    got = fast(text)
    if got is None:
        return
    want = strict(text)
    assert got == want and repr(got) == repr(want), text  # repr: 1 and 1.0 and True differ


@pytest.mark.parametrize("path", SAMPLES + VALID_CASES + [CASES / "base.yaml"], ids=lambda p: p.name)
def test_every_sample_and_valid_case_is_read_fast_and_the_same(path: Path):
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # as the loader sees it
    assert fast(text) is not None, "canonical records must take the fast path"
    assert_same_or_steps_aside(text)


SAME = {
    "plain words": "a: 中文\nb: x y z\n",
    "numbers": "a: 12\nb: 12.5\nc: 0\nd: -3\ne: 1e3\nf: 0.50\n",
    "YAML 1.1 numbers": "a: 0123\nb: 0x1F\nc: 1:20\nd: 1_000\ne: +5\nf: .5\n",
    "bools and nulls": "a: yes\nb: No\nc: on\nd: OFF\ne: ~\nf: null\ng:\nh: true\ni: y\n",
    "dates": 'a: 2016-02-29\nb: 2016-02-30\nc: 2016-1-5\nd: "2016-02-29"\ne: 2001-12-14t21:59:43.10-05:00\n',
    "quotes": "a: \"x: y # z\"\nb: 'it''s'\nc: \"\"\nd: ''\ne: \"  spaced  \"\n",
    "colons and hashes inside words": "a: http://x\nb: a#b\nc: 中：文\nd: x:y\n",
    "nested": "a:\n  b:\n    c: 1\n  d:\n    - 1\n    - x\n",
    "indentless sequence": "a:\n- 1\n- b: 2\n  c: 3\nd: 4\n",
    "sequence of mappings": "a:\n  - b: 1\n    c:\n      - x\n  -   d: 2\n",
    "empty collections": "a: []\nb: {}\nc:\n  - []\n",
    "comments and blank lines": "# head\na: 1\n\n   # indented comment\nb:\n  # inside\n  c: 2\n",
    "trailing spaces": "a: 1   \nb: x  \nc:   \n  d: 2\n",
    "windows line ends": "a: 1\r\nb:\r\n  - x\r\n",
    "keys that look like other things": "1: a\ntrue: b\nnull: c\n",
}

ASIDE = {
    "anchor and alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "merge key": "a:\n  b: 1\nc:\n  <<: {b: 2}\n",
    "flow collections": "a: [1, 2]\nb: {c: 1}\n",
    "block scalar": "a: |\n  line\n",
    "folded scalar": "a: >\n  line\n",
    "multi-line plain": "a: one\n  two\n",
    "multi-line quoted": 'a: "one\n  two"\n',
    "escape": 'a: "x\\ty"\n',
    "comment after value": "a: 1 # one\n",
    "duplicate key": "a: 1\na: 2\n",
    "tab": "a:\n\tb: 1\n",
    "document marker": "---\na: 1\n",
    "lone carriage return": "a: 1\rb: 2\n",
    "control character": "a: x\x07y\n",
    "unicode line separator": "a: x\u2028y\n",
    "unicode paragraph separator": "a: x\u2029y\n",
    "next line": "a: x\x85y\n",
    "quoted key": '"a": 1\n',
    "nested sequence": "a:\n  - - 1\n",
    "bare dash": "a:\n  -\n  - 1\n",
    "no space after colon": "a:1\n",
    "not a mapping": "- 1\n- 2\n",
    "over-indented sibling": "a: 1\n  b: 2\n",
    "dash under scalar": "a: 1\n- 2\n",
    "nan": "a: .nan\n",
    "bad indentation back": "a:\n    b: 1\n  c: 2\n",
}


@pytest.mark.parametrize("text", SAME.values(), ids=SAME.keys())
def test_plain_subset_is_read_like_the_strict_loader(text: str):
    assert fast(text) is not None
    assert_same_or_steps_aside(text)


@pytest.mark.parametrize("text", ASIDE.values(), ids=ASIDE.keys())
def test_anything_else_goes_to_the_strict_loader(text: str):
    assert fast(text) is None


def test_a_problem_in_a_fast_read_record_still_has_its_line():
    text = (CASES / "base.yaml").read_text(encoding="utf-8").replace("性别: 男", "性别: 未知", 1)
    record, problems = parse_bytes(text.encode(), "records/460105/4601059001.yaml")
    assert problems == [] and record._lines is None  # read fast: no line map yet
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("性别:"))
    assert record.line_of("/性别") == line


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
    st.dates().map(str),
    st.text(st.sampled_from("a中\u2028\u2029\x85\u3000\ufeff \t"), max_size=6),
    st.sampled_from(["yes", "no", "~", "null", "0123", "1:20", "a: b", "# x", "- x", "x #y", "'", '"', "中文", ""]),
)
WORDS = st.text(st.sampled_from("ab中文:#-_ 1.'\"~/yn"), min_size=1, max_size=6)
KEYS = (
    st.sampled_from(["姓名", "关系", "月收入", "a/b", "~x", "1", "yes"])
    | WORDS
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8)
)
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=25)


PLAIN_KEYS = st.sampled_from(["姓名", "关系", "月收入", "备注", "a", "b1", "yes", "1", "x.y"])
PLAIN_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.sampled_from([0.5, 12.25, 1e-05, 3.0]),
    WORDS,
    st.dates().map(str),
    st.sampled_from(["中文", "是", "否", "其他（注明）", "a:b", "x#y"]),
)
LIKE_RECORDS = st.recursive(
    PLAIN_SCALARS,
    lambda inner: (
        st.lists(st.dictionaries(PLAIN_KEYS, inner, max_size=4), max_size=3)
        | st.lists(PLAIN_SCALARS, max_size=3)
        | st.dictionaries(PLAIN_KEYS, inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, DATA, min_size=1, max_size=8) | st.dictionaries(PLAIN_KEYS, LIKE_RECORDS, min_size=1, max_size=8))
def test_whatever_the_canonical_writer_writes_reads_back_the_same(data: dict):
    text = dump_record(data)
    assert_same_or_steps_aside(text)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["delete", "duplicate", "insert", "truncate"]), st.integers(0, 10_000), YAML_BITS),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_records_are_read_the_same_or_not_at_all(ops):
    assert_same_or_steps_aside(_mutate(ops, BASE_LINES))


VALUES = st.sampled_from(
    [
        "",
        "1",
        "0.5",
        "-2",
        "0123",
        "1:20",
        "yes",
        "~",
        "中文",
        "x y",
        "a:b",
        '"q"',
        "'s'",
        "[]",
        "{}",
        "2016-02-29",
        "2016-02-30",
        "# c",
        "x # c",
        "a: b",
        "&a x",
        "*a",
        "!t x",
        "|",
        "- x",
    ]
)
LINES = st.tuples(
    st.sampled_from(["", "  ", "    ", "      ", " "]),
    st.sampled_from(["", "- ", "-   ", "- - "]),
    st.sampled_from(["a: ", "b: ", "c:", "中文: ", "a:", "", "# note", "a : "]),
    VALUES,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=12).map(lambda rows: "\n".join(rows) + "\n"))
def test_random_yaml_is_read_the_same_or_not_at_all(text: str):
    assert_same_or_steps_aside(text)


def _resave_same_size(path: Path, old: str, new: str) -> None:
    """Change the content without changing the size or the modification time."""
    st_before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert len(old.encode()) == len(new.encode()) and old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
    assert path.stat().st_size == st_before.st_size and path.stat().st_mtime_ns == st_before.st_mtime_ns


def test_stat_cache_sees_a_change_that_keeps_size_and_time(tmp_path: Path):
    root = make_archive(tmp_path)
    target = root / "records/460105/4601059001.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CASES / "base.yaml", target)
    old = os.stat(target)
    os.utime(target, ns=(old.st_atime_ns - 10**10, old.st_mtime_ns - 10**10))  # settled, so remembered
    assert [p for p in validate_tree(root)[1] if p.path == "records/460105/4601059001.yaml"] == []
    _resave_same_size(target, "性别: 男", "性别: 无")  # the inode's change time still moves
    problems = [p for p in validate_tree(root)[1] if p.path == "records/460105/4601059001.yaml"]
    assert any(p.pointer == "/性别" for p in problems)


def test_a_fast_reader_bug_is_said_and_counted_not_hidden(monkeypatch):
    """A fast-reader failure other than "not canonical" was swallowed (slower, silently); now it warns and counts."""
    from generator.records import canonical as fast
    from generator.records import load

    raw = b'\xe5\xa7\x93\xe5\x90\x8d: "\xe5\xbc\xa0\xe4\xb8\x89"\n'
    before = dict(load.FALLBACKS)

    def broken(text):
        raise IndexError("list index out of range")

    monkeypatch.setattr(fast, "read", broken)
    with pytest.warns(load.FastReaderWarning, match="IndexError: list index out of range"):
        data, _, _ = load.parse_yaml(raw)
    assert data == {"姓名": "张三"}
    assert load.FALLBACKS["reader-error IndexError"] == before.get("reader-error IndexError", 0) + 1
    monkeypatch.undo()
    load.parse_yaml(b"a: [1, 2]\n")  # flow style: declined by the fast reader, counted, no warning
    assert load.FALLBACKS["not-canonical"] == before.get("not-canonical", 0) + 1

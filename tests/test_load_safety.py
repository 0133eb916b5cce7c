"""The loader and validator never crash and never hang, whatever bytes they are given."""

from __future__ import annotations

import shutil

from conftest import CASES, make_archive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.records.load import MAX_BYTES, parse_bytes
from generator.validation.validate import Context, validate_tree

BASE = (CASES / "base.yaml").read_text(encoding="utf-8")
BASE_LINES = BASE.splitlines(keepends=True)
TARGET = "records/460105/4601059001.yaml"
YAML_BITS = st.sampled_from(
    [
        ":",
        ": ",
        "- ",
        "&a ",
        "*a",
        "!!str ",
        "!x ",
        "<<: ",
        "{",
        "}",
        "[",
        "]",
        '"',
        "'",
        "#",
        "\t",
        "\n",
        "  ",
        "|",
        ">",
        "---\n",
        "...\n",
        "0123",
        "0x1F",
        "1e3",
        ".nan",
        "yes",
        "~",
        "null",
        "2016-02-30",
        "4601",
        "\x00",
        "\ufeff",
        "中文",
        "\\",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(raw: bytes):
    record, problems = parse_bytes(raw, "x.yaml")
    assert (record is None) == bool(problems)
    for problem in problems:
        assert problem.message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.lists(YAML_BITS, max_size=60).map("".join))
def test_arbitrary_text_never_crashes(text: str):
    record, problems = parse_bytes(text.encode("utf-8", "surrogatepass"), "x.yaml")
    assert (record is None) == bool(problems)


def _mutate(draw_ops, lines):
    out = list(lines)
    for op, index, piece in draw_ops:
        if not out:
            break
        i = index % len(out)
        if op == "delete":
            del out[i]
        elif op == "duplicate":
            out.insert(i, out[i])
        elif op == "insert":
            out[i] = out[i][: len(out[i]) // 2] + piece + out[i][len(out[i]) // 2 :]
        elif op == "truncate":
            out = out[:i]
    return "".join(out)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["delete", "duplicate", "insert", "truncate"]), st.integers(0, 10_000), YAML_BITS),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_records_get_located_problems_not_tracebacks(tmp_path_factory, ops):
    root = make_archive(tmp_path_factory.mktemp("mut"))
    (root / TARGET).parent.mkdir(parents=True, exist_ok=True)
    (root / TARGET).write_text(_mutate(ops, BASE_LINES), encoding="utf-8")
    checked, problems = validate_tree(root, ctx=Context(root), use_cache=False)
    assert checked == 1
    for problem in problems:
        assert problem.path == TARGET and problem.message
    shutil.rmtree(root)


def test_file_over_one_megabyte_is_refused():
    raw = (BASE + "备注: " + "很" * (MAX_BYTES // 3 + 10) + "\n").encode("utf-8")
    record, problems = parse_bytes(raw, TARGET)
    assert record is None
    assert [p.code for p in problems] == ["too-large"]
    assert "1 MB" in problems[0].message


def test_billion_laughs_is_refused_quickly():
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    record, problems = parse_bytes("\n".join(rows).encode(), TARGET)
    assert record is None and problems[0].code == "anchor" and problems[0].line == 1


def test_deep_nesting_is_refused():
    record, problems = parse_bytes(("a:\n" + "".join("  " * i + "- \n" for i in range(1, 200))).encode(), TARGET)
    assert record is None or all(p.message for p in problems)
    record, problems = parse_bytes(("[" * 3000).encode(), TARGET)
    assert record is None and problems


def test_lines_point_at_keys_and_items():
    record, problems = parse_bytes(BASE.encode(), TARGET)
    assert not problems
    assert record.line_of("/家庭主要成员/1/身份证号") == next(
        i for i, line in enumerate(BASE_LINES, 1) if "46010520080901903X" in line
    )
    assert record.line_of("/家庭主要成员/1/不存在") == record.line_of("/家庭主要成员/1")


def test_unquoted_and_quoted_dates_load_the_same():
    quoted, _ = parse_bytes(BASE.encode(), TARGET)
    plain, _ = parse_bytes(BASE.replace('出生日期: "1980-03-15"', "出生日期: 1980-03-15").encode(), TARGET)
    assert quoted.data == plain.data

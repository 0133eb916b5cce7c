"""Free text cannot carry invisible characters into any configuration, page or sheet: every text of every schema
refuses them, and every settings file says so in Chinese with file, line and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import CASES, make_archive

from generator.errors import RecordError
from generator.records.dump import dump_record
from generator.records.schema import SCHEMA_DIR, resolve
from generator.records.settings import read_settings
from generator.rules.standards import load_standards
from generator.validation.validate import Context, validate_tree

REPO = Path(__file__).resolve().parent.parent
SETTINGS = REPO / "records" / "_settings"
LINE = json.loads((SCHEMA_DIR / "household.schema.json").read_text(encoding="utf-8"))["$defs"]["line"]["not"]
TEXT = json.loads((SCHEMA_DIR / "household.schema.json").read_text(encoding="utf-8"))["$defs"]["text"]["not"]
MULTI_LINE = {
    ("household.schema.json", "/properties/备注"),
    ("household.schema.json", "/properties/入户调查/properties/调查情况"),
}


def _texts(node, root: dict, pointer: str = ""):
    """(pointer, resolved node) of every string of a schema that is not one of a fixed list of values."""
    if isinstance(node, dict):
        merged = resolve(node, root)
        if merged.get("type") == "string" and "enum" not in merged and "const" not in merged:
            yield pointer, merged
        for key, child in node.items():
            if key != "not":
                yield from _texts(child, root, f"{pointer}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _texts(child, root, f"{pointer}/{i}")


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_every_text_of_every_schema_refuses_invisible_characters(name):
    root = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    found = dict(_texts(root, root))
    assert found, name
    assert root["$defs"]["line"]["not"] == LINE  # one rule, copied into each schema (they are read on their own)
    lacking = [pointer for pointer, node in found.items() if node.get("not") not in (LINE, TEXT)]
    assert lacking == []
    multi = {(name, pointer) for pointer, node in found.items() if node.get("not") == TEXT and not pointer.startswith("/$defs/")}
    assert multi == {m for m in MULTI_LINE if m[0] == name}
    # user, group and role names are keys: they are texts too
    for pointer, names in ((p, n) for p, n in _keys(root) if n):
        assert resolve(names, root).get("not") == LINE, pointer


def _keys(node, pointer: str = ""):
    if isinstance(node, dict):
        yield pointer, node.get("propertyNames")
        for key, child in node.items():
            yield from _keys(child, f"{pointer}/{key}")


# (file, schema, the text in the shipped file, the text with an invisible character, expected "line: field")
SETTINGS_CASES = [
    (
        "access.yaml",
        "access.schema.json",
        "    姓名: 海口市经办人示例\n",
        '    姓名: "海口市经办人\\u202E示例"\n',
        "用户.hk-demo.姓名",
    ),
    (
        "roles.yaml",
        "roles.schema.json",
        "    说明: 审核档案的工会工作人员：与经办人相同。\n",
        '    说明: "审核档案的工会工作人员：\\t与经办人相同。"\n',
        "角色.审核人.说明",
    ),
    (
        "reviewers.yaml",
        "reviewers.schema.json",
        "  - 姓名: 示例省级审核员\n",
        '  - 姓名: "示例省级\\u200B审核员"\n',
        "审核人[1].姓名",
    ),
    (
        "reviewers.yaml",
        "reviewers.schema.json",
        "    邮箱: reviewer-46@example.invalid\n",
        '    邮箱: "reviewer-46@example.invalid\\n"\n',
        "审核人[1].邮箱",
    ),
    (
        "standards.yaml",
        "standards.schema.json",
        "    依据: 示例：省级默认标准\n",
        '    依据: "示例：省级默认标准\\u2028"\n',
        "标准[1].依据",
    ),
]


@pytest.mark.parametrize(("file", "schema", "old", "new", "where"), SETTINGS_CASES, ids=[c[0] + c[4] for c in SETTINGS_CASES])
def test_settings_refuse_invisible_characters_in_chinese(file, schema, old, new, where):
    text = (SETTINGS / file).read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    read_settings(None, f"records/_settings/{file}", schema, "设置文件", (SETTINGS / file).read_bytes())  # the shipped one
    with pytest.raises(RecordError) as caught:
        read_settings(None, f"records/_settings/{file}", schema, "设置文件", text.encode())
    message = caught.value.format_message()
    line = text[: text.index(new)].count("\n") + 1  # the sample files change; the line is where the value is
    assert f"records/_settings/{file}:{line}: {where}: " in message
    assert "有看不见的" in message and "请删除" in message


def test_the_standards_loader_refuses_them_too(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(SETTINGS, root / "records" / "_settings")
    path = root / "records" / "_settings" / "standards.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    依据: 示例：省级默认标准\n", '    依据: "示例\\u202E标准"\n', 1),
        encoding="utf-8",
    )
    with pytest.raises(RecordError) as caught:
        load_standards(root)
    assert "records/_settings/standards.yaml:12: 标准[1].依据: " in caught.value.format_message()
    assert "文字方向控制符（U+202E）" in caught.value.format_message()


@pytest.mark.parametrize(
    ("field", "text", "codes"),
    [
        ("备注", "第一段：家中老人长期卧床。\n第二段：子女在读初中。", []),
        ("备注", "第一段。\r\n第二段。", ["control-char"]),
        ("工作单位", "示例机械厂\n（虚构）", ["control-char"]),
    ],
)
def test_only_the_prose_fields_may_keep_line_breaks(tmp_path, field, text, codes):
    """A note written as the editor writes it (dump_record makes it a literal block) passes; elsewhere a newline does not."""
    root = make_archive(tmp_path / "archive")
    data = yaml.safe_load((CASES / "base.yaml").read_text(encoding="utf-8")) | {field: text}
    path = root / "records" / "460105" / "4601059001.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(dump_record(data), encoding="utf-8")
    _, problems = validate_tree(root, ctx=Context(root), use_cache=False)
    assert [p.code for p in problems if p.is_error] == codes

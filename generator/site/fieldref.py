"""The handbook's field reference, generated from the schema on every build so it never drifts."""

from __future__ import annotations

from generator.records.schema import FieldInfo, fields, load_schema

_KINDS = {
    "string": "文字",
    "number": "数字",
    "integer": "整数",
    "date": "日期（YYYY-MM-DD）",
    "month": "年月（YYYY-MM）",
    "enum": "单选",
    "multi": "多选（列表）",
    "array": "列表（每项一组）",
    "object": "一组栏目",
}


def field_reference() -> str:
    """The Markdown of the field reference page."""
    schema = load_schema()
    out = [
        # The tables are wide: no table of contents beside them (the left navigation stays).
        "---",
        "hide:",
        "  - toc",
        "---",
        "",
        "# 字段说明",
        "",
        "本页由程序根据 `schema/household.schema.json` 在每次生成站点时自动生成，与校验所用的规则完全一致，请勿手工修改。",
        "带 ✱ 的栏目为必填。“个人信息”一栏标出按角色脱敏显示的个人信息类别（见访问控制说明）。",
        "",
        f"> {schema.get('description', '')}",
        "",
        "## 档案表栏目",
        "",
    ]
    out += _table(fields())
    for info in fields():
        if info.children:
            out += ["", f"## {info.title}", ""]
            if info.description:
                out += [_cell(info.description), ""]
            out += [f"“{info.title}”是{_KINDS.get(info.kind, info.kind)}，包含以下栏目：", ""]
            out += _table(info.children)
    return "\n".join(out) + "\n"


def _table(infos: tuple[FieldInfo, ...]) -> list[str]:
    rows = ["| 栏目 | 类型 | 说明 | 可选值 | 个人信息 |", "|---|---|---|---|---|"]
    for info in infos:
        name = f"{info.title} ✱" if info.required else info.title
        kind = _KINDS.get(info.kind, info.kind)
        if info.unit:
            kind += f"，单位{info.unit}"
        if info.text_number:
            kind += "，需加引号"
        if info.future_ok:
            kind += "，可填将来的日期"
        choices = "、".join(info.enum) if len(info.enum) <= 25 else f"共 {len(info.enum)} 项：{'、'.join(info.enum[:8])}……"
        rows.append(f"| {_cell(name)} | {_cell(kind)} | {_cell(info.description)} | {_cell(choices)} | {_cell(info.personal)} |")
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

"""One household's pages: the archive form, eligibility trace, plan, contact cards, ledger, attachments, history."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from markupsafe import Markup

from generator.access import urls
from generator.access.privacy import ARCHIVE, mask_name
from generator.records.schema import field_map, fields
from generator.site.paper import cards_html, form_html
from generator.site.render import Values, label, money, render, yuan

# The paper form 附件1, row by row: which fields stand side by side (labels come from the schema).
FORM_HEAD = ("职工编号", "困难类别")
FORM_ROWS = (
    ("姓名", "民族", "性别", "政治面貌", "身份证号", "出生日期", "健康状况", "残疾类别", "工作状态", "劳模类型"),
    ("住房类型", "建筑面积", "手机号码", "其他联系方式", "邮政编码", "工作时间", "所属行业", "婚姻状况", "户口类型"),
    ("家庭住址", "工作单位", "单位性质", "企业状况", "是否单亲"),
    ("本人月平均收入", "家庭其他非薪资年收入", "家庭年度总收入", "家庭人口", "家庭月人均收入", "户口所在地行政区划", "医保状况"),
)
FORM_PAIRS = ("是否有一定自救能力", "是否为零就业家庭")
MEMBER_COLUMNS = (
    "姓名",
    "关系",
    "性别",
    "政治面貌",
    "身份证号",
    "出生日期",
    "健康状况",
    "月收入",
    "身份",
    "医保状况",
    "单位或学校",
)
BANK = ("开户银行", "支行名称", "银行卡号")
ATTACHMENT_COLUMNS = ("附件类型", "附件名称", "备注")
GROUPS = ("五类重点群体", "四个一批措施", "七个行动计划")
FORM_FOOT = (("备注", "职工签字"), ("建档人", "审核人", "帮扶单位", "帮扶责任人", "录入人"))
PLAN = (
    "是否为解困脱困对象",
    "确定时间",
    "五类重点群体",
    "四个一批措施",
    "七个行动计划",
    "帮扶单位",
    "帮扶责任人",
    "工会联络人",
    "帮扶任务完成时限",
    "职工签字",
)
LEDGER_COLUMNS = ("日期", "帮扶类型", "金额", "帮扶人", "备注")
_ON_FORM = set(FORM_HEAD + sum(FORM_ROWS, ()) + FORM_PAIRS + BANK + GROUPS + sum(FORM_FOOT, ())) | {
    "家庭主要成员",
    "致困原因",
    "致困原因其他注明",
    "附件",
    "是否为解困脱困对象",
    "确定时间",
    "帮扶台账",
    "五类重点群体其他注明",
    "四个一批措施其他注明",
    "七个行动计划其他注明",
    "帮扶任务完成时限",
    "工会联络人",
}


def household_pages(record, assessment, changes, site) -> tuple[dict[str, str], dict[str, Markup]]:
    """The household page, its contact-card page and its history page (path → HTML), and the form and cards."""
    view = household_view(record, assessment, changes, site)
    parts = fragments(view)
    out = {}
    for page, template, suffix in (
        ("", "household.html", ""),
        ("card", "card_page.html", " 联系卡"),
        ("history", "history.html", " 修改历史"),
    ):
        path = urls.household(record.county, view["number"], page)
        body = render(template, h=view, base=urls.base(path), **parts)
        out[path + "index.html"] = site.shell.page(view["title"] + suffix, body, urls.depth(path), view["heading"] + suffix)
    return out, parts


def fragments(view: dict) -> dict[str, Markup]:
    """The paper form and the two contact cards as HTML, shared by the household's pages and batch printing."""
    return {"form_html": form_html(view), "cards_html": cards_html(view["cards"])}


def household_view(record, assessment, changes, site) -> dict:
    """Everything the household's pages show, formatted and masked for the archive area."""
    data = record.data
    values = Values(site.policy, ARCHIVE)
    number = str(data.get("职工编号") or record.stem)
    return {
        "number": number,
        "county": record.county,
        "path": record.path,
        "region": site.regions.full_name(record.county),
        "crumbs": [(c, site.regions.name(c)) for c in reversed(site.regions.ancestors(record.county))],
        # The page's heading names the household as the archive area shows names (roles.yaml), like the form below it;
        # the <title> stays masked: browsers keep titles in their history (docs/access.md).
        "title": f"{number} {mask_name(data.get('姓名') or '')}",
        "heading": f"{number} {values.person('姓名', data.get('姓名')) or ''}".strip(),
        "status": data.get("状态", ""),
        "form": _form(data, values),
        "extra": _extra(data, values, site.regions),
        "trace": _trace(assessment),
        "plan": _plan(data, values),
        "cards": cards(data, values),
        "ledger": ledger(data),
        "attachments": _attachments(data, values),
        "history": [_change(c) for c in changes],
    }


def _cell(data: dict, name: str, values: Values):
    """(label, required, text) of a top-level field, or None when the area must not show it."""
    info = field_map()["/" + name]
    text = values.field(info, data.get(name))
    return None if text is None else (info.title, info.required, text)


def _form(data: dict, values: Values) -> dict:
    cell = lambda name: _cell(data, name, values)  # noqa: E731
    return {
        "head": [c for c in map(cell, FORM_HEAD) if c],
        "rows": [[c for c in map(cell, row) if c] for row in FORM_ROWS],
        "pairs": [c for c in map(cell, FORM_PAIRS) if c],
        "members": _table(data, "家庭主要成员", MEMBER_COLUMNS, values),
        "causes": _options(data, "致困原因"),
        "bank": [c for c in map(cell, BANK) if c],
        "attachments": _table(data, "附件", ATTACHMENT_COLUMNS, values),
        "target": cell("是否为解困脱困对象"),
        "decided": cell("确定时间"),
        "groups": [_options(data, name) for name in GROUPS],
        "foot": [[c for c in map(cell, row) if c] for row in FORM_FOOT],
    }


def _options(data: dict, name: str) -> dict:
    """A multiple-choice field as the paper form prints it: every option, the chosen ones ticked."""
    info = field_map()["/" + name]
    chosen = data.get(name) or []
    other = data.get(f"{name}其他注明") or ""
    return {
        "title": info.title,
        "required": info.required,
        "options": [(option, option in chosen) for option in info.enum],
        "other": other,
    }


def _table(data: dict, name: str, columns: tuple[str, ...], values: Values) -> dict:
    """An array of objects as a table: header labels from the schema, one row per item, hidden columns dropped."""
    items = data.get(name) or []
    infos = [field_map().get(f"/{name}/*/{col}") for col in columns]
    rows = [[values.field(info, item.get(col)) for info, col in zip(infos, columns, strict=True)] for item in items]
    keep = [j for j, col in enumerate(columns) if all(r[j] is not None for r in rows)]
    return {
        "title": label(f"/{name}"),
        "labels": [label(f"/{name}/*/{columns[j]}") for j in keep],
        "rows": [[r[j] for j in keep] for r in rows],
    }


def _extra(data: dict, values: Values, regions) -> list[dict]:
    """Fields the paper form has no place for (working cycle, 低保证, 农民工 …), generically from the schema."""
    out = []
    for info in fields():
        name = info.pointer[1:]
        if name in _ON_FORM or name not in data:
            continue
        value = data[name]
        if info.kind == "array" and info.children:
            columns = tuple(c.pointer.rsplit("/", 1)[1] for c in info.children)
            table = _table(data, name, columns, values)
            out.append({"title": info.title, "kind": "table", "table": table})
        elif info.kind == "object":
            items = []
            for child in info.children:
                key = child.pointer.rsplit("/", 1)[1]
                if key in value:
                    text = values.show(child.pointer, value[key])
                    if text is not None:
                        items.append((child.title, text))
            out.append({"title": info.title, "kind": "pairs", "items": items})
        else:
            text = values.show(info.pointer, value)
            if name == "所属地区" and text is not None and value in regions:
                text = f"{regions.full_name(value)}（{value}）"  # a person reads the name, the code is for lookups
            if text is not None:
                out.append({"title": info.title, "kind": "value", "text": text})
    return out


def _trace(assessment) -> dict:
    if assessment is None:
        return {"available": False}
    return {
        "available": True,
        "date": assessment.assessed_on.isoformat(),
        "basis": assessment.date_basis,
        "example": assessment.example,
        "steps": [step.text for step in assessment.steps],
        "conclusion": assessment.conclusion(),
        "declared": assessment.declared,
        "category": assessment.category or "不能认定",
        "agrees": assessment.agrees,
        "exited": assessment.exited,
    }


def _plan(data: dict, values: Values) -> dict:
    items = []
    for name in PLAN:
        if name not in data:
            continue
        value = data[name]
        info = field_map()["/" + name]
        if info.kind == "object":
            text = "，".join(
                f"{c.title} {values.show(c.pointer, value.get(c.pointer.rsplit('/', 1)[1])) or ''}".strip()
                for c in info.children
                if c.pointer.rsplit("/", 1)[1] in value
            )
        else:
            text = values.show("/" + name, value)
            other = data.get(f"{name}其他注明")
            if other:
                text = f"{text}（{other}）"
        if name == "帮扶任务完成时限":
            text = f"{text}底前实现解困脱困"
        items.append((info.title, text))
    return {"items": items}


def _birth_month(value) -> str:
    return f"{value[:4]} 年 {int(value[5:7])} 月" if isinstance(value, str) and len(value) >= 7 else ""


def cards(data: dict, values: Values) -> dict:
    """The two contact cards of 附件2, field for field."""
    helper = data.get("帮扶责任人") or {}
    liaison = data.get("工会联络人") or {}
    members = "、".join(f"{m.get('姓名', '')}（{m.get('关系', '')}）" for m in data.get("家庭主要成员") or [])
    deadline = data.get("帮扶任务完成时限")
    until = f"{deadline[:4]} 年 {int(deadline[5:7])} 月底前实现解困脱困" if deadline else "　　年　　月底前实现解困脱困"
    phone = data.get("手机号码") or data.get("其他联系方式") or ""
    causes = "、".join(data.get("致困原因") or [])
    if data.get("致困原因其他注明"):
        causes += f"（{data['致困原因其他注明']}）"
    person = values.person
    return {
        "number": str(data.get("职工编号", "")),
        "name": person("姓名", data.get("姓名")) or "",
        "sex": data.get("性别", ""),
        "born": _birth_month(data.get("出生日期")),
        "address": person("住址", data.get("家庭住址")) or "",
        "employer": data.get("工作单位", ""),
        "members": members,
        "causes": causes,
        "category": data.get("困难类别", ""),
        "until": until,
        "phone": person("电话", phone) or "",
        "unit": data.get("帮扶单位", ""),
        "helper": helper.get("姓名", ""),
        "helper_title": helper.get("职务", ""),
        "helper_phone": helper.get("联系方式", ""),
        "liaison": liaison.get("姓名", ""),
        "liaison_title": liaison.get("职务", ""),
        "liaison_phone": liaison.get("联系方式", ""),
        "measures": _options(data, "四个一批措施"),
        "plans": _options(data, "七个行动计划"),
    }


def ledger(data: dict) -> dict:
    """帮扶台账 in date order with totals per year (exact money)."""
    entries = sorted(data.get("帮扶台账") or [], key=lambda e: e.get("日期", ""))
    years: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    total = Decimal(0)
    rows = []
    for entry in entries:
        amount = money(entry.get("金额"))
        year = str(entry.get("日期", ""))[:4]
        years[year][0] += 1
        years[year][1] += amount
        total += amount
        rows.append(
            [entry.get("日期", ""), entry.get("帮扶类型", ""), yuan(amount), entry.get("帮扶人", ""), entry.get("备注", "")]
        )
    return {
        "labels": [label(f"/帮扶台账/*/{c}") for c in LEDGER_COLUMNS],
        "rows": rows,
        "numeric": [LEDGER_COLUMNS.index("金额")],
        "years": [(y, n, yuan(s)) for y, (n, s) in sorted(years.items())],
        "count": len(rows),
        "total": yuan(total),
    }


def _attachments(data: dict, values: Values) -> dict:
    return _table(data, "附件", ATTACHMENT_COLUMNS + ("文件",), values)


def _change(change) -> dict:
    """One entry of the household's history (generator.history.log.Change)."""
    return {  # the wording is the CLI's (`bangfu history`): Change.summary() is the one place it is made
        "approved": change.approved,
        "reasons": list(change.reasons),
        "notes": list(change.commit.notes),
        "lines": change.lines(),
        "summary": change.summary(),
        "commit": change.commit.short,
    }

"""The paper forms as HTML: the archive form (附件1) and the two contact cards (附件2).

They are built with plain string joins rather than Jinja2 macros: every household has them, on its page and
in its county's batch print, and here they cost a fraction of a millisecond instead of over one.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

_REQ = '<span class="bf-req">*</span>'


def _e(value) -> str:
    return escape(str(value), quote=False) if value is not None else ""


def _head(label: str, required: bool) -> str:
    return f"<th>{_REQ if required else ''}{_e(label)}</th>"


def options(group: dict, cols: int = 1) -> str:
    """Every option of a multiple-choice field, the chosen ones ticked, numbered as on the paper form."""
    items = []
    for number, (text, chosen) in enumerate(group["options"], 1):
        other = f"（注明：{_e(group['other'])}）" if text == "其他" and group["other"] else ""
        mark = '<li class="bf-on"><span class="bf-box">☑</span>' if chosen else '<li class="bf-off"><span class="bf-box">☐</span>'
        items.append(f"{mark}{number}.{_e(text)}{other}</li>")
    return f'<ul class="bf-options bf-cols-{cols}">{"".join(items)}</ul>'


def _side_table(title: str, table: dict) -> str:
    """A block with a vertical title on the left, column labels, and one row per item (members, attachments)."""
    # The title cell stands in the header row and continues down an empty column (a rowspan cannot cross from thead
    # into tbody), so a table split over two printed pages repeats its header row on the second.
    labels = "".join(f"<th>{_e(label)}</th>" for label in table["labels"])
    side = '<td class="bf-side-cont"></td>'
    rows = "".join("<tr>" + side + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in table["rows"])
    if not rows:
        rows = f'<tr>{side}<td colspan="{len(table["labels"])}">（无）</td></tr>'
    return (
        f'<table class="bf-form bf-side-table"><thead><tr><th class="bf-side">{title}</th>{labels}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def form_html(view: dict) -> Markup:
    """困难职工档案表, laid out like the paper form."""
    f = view["form"]
    out = ['<div class="bf-paper"><h2 class="bf-paper-title">困难职工档案表</h2>']
    out.append(
        '<table class="bf-form bf-form-head"><tr>'
        + "".join(f"{_head(name, r)}<td>{_e(v)}</td>" for name, r, v in f["head"])
        + "</tr></table>"
    )
    for row in f["rows"]:
        out.append(
            '<table class="bf-form"><tr>'
            + "".join(_head(name, r) for name, r, _ in row)
            + "</tr><tr>"
            + "".join(f"<td>{_e(v)}</td>" for _, _, v in row)
            + "</tr></table>"
        )
    out.append(
        '<table class="bf-form"><tr>'
        + "".join(f"{_head(name, r)}<td>{_e(v)}</td>" for name, r, v in f["pairs"])
        + "</tr></table>"
    )
    out.append(_side_table("家庭<br>主要<br>成员", f["members"]).replace('class="bf-form ', 'class="bf-form bf-members ', 1))
    causes = f["causes"]
    out.append(
        f'<table class="bf-form"><tr><th class="bf-side">{_REQ if causes["required"] else ""}{_e(causes["title"])}</th>'
        f"<td>{options(causes, 5)}</td></tr></table>"
    )
    if f["bank"]:
        out.append(
            '<table class="bf-form"><tr>'
            + "".join(f"<th>{_e(name)}</th><td>{_e(v)}</td>" for name, _, v in f["bank"])
            + "</tr></table>"
        )
    out.append(_side_table("附　件", f["attachments"]))
    target = f["target"][2] if f["target"] else ""
    decided = _e(f["decided"][2]) if f["decided"] else "　　"
    out.append(
        f'<p class="bf-form-line">{_REQ}建档人或审核人确定困难职工是否为解困脱困对象（<b>{"☑" if target == "是" else "☐"} 是　'
        f"{'☑' if target == '否' else '☐'} 否</b>）（确定时间：{decided}），对解困脱困对象确定以下类别中的选项</p>"
    )
    out.append(
        '<table class="bf-form bf-groups"><tr>'
        + "".join(f'<th class="bf-side">{_e(g["title"])}</th><td>{options(g)}</td>' for g in f["groups"])
        + "</tr></table>"
    )
    for row in f["foot"]:
        out.append(
            '<table class="bf-form"><tr>' + "".join(f"{_head(name, r)}<td>{_e(v)}</td>" for name, r, v in row) + "</tr></table>"
        )
    out.append('<p class="bf-note">注：填表要求与工会帮扶工作管理系统填表要求一致。</p></div>')
    return Markup("\n".join(out))


def _row(*cells) -> str:
    """A card row from (label, value, colspan) cells."""
    parts = []
    for label, value, span in cells:
        parts.append(f"<th>{label}</th>" + (f'<td colspan="{span}">' if span > 1 else "<td>") + f"{value}</td>")
    return "<tr>" + "".join(parts) + "</tr>"


def cards_html(c: dict) -> Markup:
    """The two 困难职工解困脱困联系卡 of 附件2, field for field."""
    e = {k: _e(v) for k, v in c.items() if not isinstance(v, dict)}
    helper = "".join(
        [
            _row(("职工编号", e["number"], 1), ("职工姓名", e["name"], 1), ("性别", e["sex"], 1), ("出生年月", e["born"], 1)),
            _row(("家庭住址", e["address"], 7)),
            _row(("工作单位", e["employer"], 7)),
            _row(("家庭主要<br>成员", e["members"], 7)),
            _row(("致困原因", e["causes"], 3), ("困难类别", e["category"], 3)),
            _row(("帮扶任务<br>完成时限", e["until"], 3), ("联系方式", e["phone"], 3)),
            _row(("帮扶单位", e["unit"], 3), ("帮扶责任人", e["helper"], 3)),
        ]
    )
    worker = "".join(
        [
            _row(("职工姓名", e["name"], 1), ("性别", e["sex"], 1), ("出生年月", e["born"], 1)),
            _row(("帮扶单位", e["unit"], 5)),
            _row(("帮扶责任人", e["helper"], 1), ("职务", e["helper_title"], 1), ("联系方式", e["helper_phone"], 1)),
            _row(
                ("困难职工所属工会<br>联络人姓名", e["liaison"], 1),
                ("职务", e["liaison_title"], 1),
                ("联系方式", e["liaison_phone"], 1),
            ),
            _row(("解困脱困<br>措施选项", options(c["measures"], 3), 5)),
            _row(("解困脱困<br>计划选项", options(c["plans"], 4), 5)),
            '<tr><th>备注</th><td colspan="5" class="bf-blank"></td></tr>',
        ]
    )
    title = '<h3 class="bf-card-title">困难职工解困脱困联系卡<small>（{}）</small></h3>'
    return Markup(
        f'<div class="bf-card" data-card="helper">{title.format("帮扶责任人存")}'
        f'<table class="bf-card-table">{helper}</table></div>\n'
        f'<div class="bf-card" data-card="worker">{title.format("困难职工存")}<table class="bf-card-table">{worker}</table></div>'
    )

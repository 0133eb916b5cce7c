"""Checks on one record beyond the schema: ID numbers, dates, money, family size, bank card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from stdnum import luhn, numdb
from stdnum.cn import ric

from generator.clock import parse_date
from generator.errors import WARNING, Problem
from generator.records.load import Record
from generator.records.schema import fields
from generator.validation.lifecycle import NOTICE_MIN_DAYS


def check_fields(record: Record, ctx) -> list[Problem]:
    """Every semantic problem of one schema-valid record."""
    data = record.data
    out: list[Problem] = []
    out += id_numbers(record, data)
    out += _dates(record, data, ctx.today)
    out += _money(record, data)
    out += _family(record, data)
    out += _bank_card(record, data)
    return out


@lru_cache(maxsize=4096)
def known_region(prefix: str) -> bool:
    """True when stdnum's GB/T 2260 table (with historic codes) knows this 6-digit code."""
    return bool(numdb.get("cn/loc").info(prefix)[0][1]) if prefix.isdigit() else False


def id_numbers(record: Record, data: dict) -> list[Problem]:
    """Check digit, birth date, region and sex of every 18-character ID number (the desk also runs it on a form
    still missing required fields, so a wrong digit is said as it is typed)."""
    out = []
    members = data.get("家庭主要成员") or []
    people = [("", data)] + [(i, m) for i, m in enumerate(members) if isinstance(m, dict)]
    for base, person in people:
        number = person.get("身份证号")
        if not isinstance(number, str) or len(number) != 18:
            continue
        if base != "":
            base = f"/家庭主要成员/{base}"
        expected = ric.calc_check_digit(number)
        if number[-1] != expected:
            out.append(
                record.problem(f"{base}/身份证号", "id-checksum", f"身份证号校验位错误（最后一位应为 {expected}），请核对号码。")
            )
            continue
        born = _birth_date(number)
        if born is None:
            out.append(record.problem(f"{base}/身份证号", "id-birth", "身份证号第 7–14 位不是有效的出生日期。"))
            continue
        if not known_region(number[:6]):
            out.append(record.problem(f"{base}/身份证号", "id-region", f"身份证号前 6 位 {number[:6]} 不是已知的行政区划代码。"))
        stated = person.get("出生日期")
        if stated != born and isinstance(stated, str):
            stated_day = parse_date(stated)
            if stated_day and stated_day.isoformat() != born:
                out.append(
                    record.problem(
                        f"{base}/出生日期",
                        "id-birth-mismatch",
                        f"出生日期 {stated_day.isoformat()} 与身份证号中的 {born} 不一致。",
                    )
                )
        sex = "男" if int(number[16]) % 2 else "女"
        if person.get("性别") in ("男", "女") and person["性别"] != sex:
            out.append(
                record.problem(
                    f"{base}/性别",
                    "id-sex-mismatch",
                    f"性别“{person['性别']}”与身份证号不一致（第 17 位为{'奇' if sex == '男' else '偶'}数，应为{sex}）。",
                )
            )
    return out


def _birth_date(number: str) -> str | None:
    """Digits 7–14 of an 18-digit ID number as an ISO date, or None when they are no real date
    (the check digit, computed by stdnum, has already been verified, so the number is all digits)."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=1)
def _date_fields() -> tuple[tuple[str, str | None, bool], ...]:
    """(top key, child key or None, future allowed) for every date field of the form."""
    out = []
    for info in fields():
        top = info.pointer[1:]
        if info.kind == "date":
            out.append((top, None, info.future_ok))
        for child in info.children:
            if child.kind == "date":
                out.append((top, child.pointer.rsplit("/", 1)[1], child.future_ok))
    return tuple(out)


def _dates(record: Record, data: dict, today: dt.date) -> list[Problem]:
    out = []
    latest = today.isoformat()  # ISO dates compare as text: only later ones need a closer look
    for top, child, future_ok in _date_fields():
        value = data.get(top)
        if value is None or future_ok:
            continue
        if child is None:
            places = [(f"/{top}", value)] if _later(value, latest) else ()
        elif isinstance(value, list):
            places = [
                (f"/{top}/{i}/{child}", item.get(child))
                for i, item in enumerate(value)
                if isinstance(item, dict) and _later(item.get(child), latest)
            ]
        elif isinstance(value, dict):
            places = [(f"/{top}/{child}", value.get(child))] if _later(value.get(child), latest) else ()
        else:
            continue
        for pointer, text in places:
            day = parse_date(text)
            if day and day > today:
                out.append(record.problem(pointer, "future-date", f"日期 {text} 在将来（今天是 {today.isoformat()}）。"))
    out += _date_order(record, data)
    return out


def _later(text, latest: str) -> bool:
    return isinstance(text, str) and text > latest


def _date_order(record: Record, data: dict) -> list[Problem]:
    out = []
    notices = data.get("公示") or []
    last_end = None
    for i, notice in enumerate(notices):
        start, end = parse_date(notice.get("开始日期")), parse_date(notice.get("结束日期"))
        if start and end:
            if end < start + dt.timedelta(days=NOTICE_MIN_DAYS):
                out.append(
                    record.problem(
                        f"/公示/{i}/结束日期",
                        "notice-too-short",
                        f"公示期 {start.isoformat()} 至 {end.isoformat()} 不足 {NOTICE_MIN_DAYS} 天"
                        f"（结束日期不得早于 {(start + dt.timedelta(days=NOTICE_MIN_DAYS)).isoformat()}）。",
                    )
                )
            last_end = max(last_end, end) if last_end else end
    approval = data.get("审批") or {}
    approved = parse_date(approval.get("审批日期"))
    if approved and last_end and approved <= last_end:
        out.append(
            record.problem(
                "/审批/审批日期",
                "approval-before-notice-end",
                f"审批日期 {approved.isoformat()} 不在公示期满之后（最后一次公示结束于 {last_end.isoformat()}）。",
            )
        )
    pairs = [
        ("/低保证/有效期起", "/低保证/有效期止", "低保证有效期止不能早于有效期起。"),
        ("/农民工/劳动合同期限起", "/农民工/劳动合同期限止", "劳动合同期限止不能早于期限起。"),
        ("/出生日期", "/工作时间", "工作时间不能早于出生日期。"),
        ("/确定时间", "/退出/日期", "退出日期不能早于确定时间。"),
    ]
    for first, second, message in pairs:
        a, b = parse_date(_at(data, first)), parse_date(_at(data, second))
        if a and b and b < a:
            out.append(record.problem(second, "date-order", message))
    return out


def _at(data: dict, pointer: str):
    value = data
    for part in pointer.strip("/").split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _money(record: Record, data: dict) -> list[Problem]:
    out = []
    places = [(f"/{k}", data.get(k)) for k in ("本人月平均收入", "家庭其他非薪资年收入", "家庭年度总收入", "家庭月人均收入")]
    places += [(f"/家庭主要成员/{i}/月收入", m.get("月收入")) for i, m in enumerate(data.get("家庭主要成员") or [])]
    places += [(f"/特殊支出/{i}/年度金额", e.get("年度金额")) for i, e in enumerate(data.get("特殊支出") or [])]
    places += [(f"/帮扶台账/{i}/金额", e.get("金额")) for i, e in enumerate(data.get("帮扶台账") or [])]
    for pointer, value in places:
        if isinstance(value, float) and Decimal(str(value)).as_tuple().exponent < -2:
            out.append(record.problem(pointer, "money-precision", f"金额 {value} 超过两位小数（精确到分）。"))
    return out


def _family(record: Record, data: dict) -> list[Problem]:
    out = []
    members = data.get("家庭主要成员") or []
    size = data.get("家庭人口")
    if isinstance(size, int) and size < 1 + len(members):
        out.append(
            record.problem("/家庭人口", "family-size", f"家庭人口 {size} 少于本人加所列家庭成员（{1 + len(members)} 人）。")
        )
    people = [("", data)] + [(f"/家庭主要成员/{i}", m) for i, m in enumerate(members)]
    for base, person in people:
        health, kind = person.get("健康状况"), person.get("残疾类别")
        if health == "残疾" and kind in (None, "无"):
            out.append(
                record.problem(
                    f"{base}/残疾类别" if kind else f"{base}/健康状况", "disability-kind", "健康状况为“残疾”，须填写残疾类别。"
                )
            )
        elif kind not in (None, "无") and health != "残疾":
            out.append(
                record.problem(
                    f"{base}/残疾类别", "disability-health", f"填写了残疾类别“{kind}”，健康状况却不是“残疾”。", WARNING
                )
            )
    seen: dict[str, str] = {}
    for base, person in people:
        number = person.get("身份证号")
        if isinstance(number, str):
            if number in seen:
                out.append(record.problem(f"{base}/身份证号", "id-duplicate-in-record", f"身份证号与{seen[number]}重复。"))
            seen[number] = person.get("姓名") or "本人"
    return out


def _bank_card(record: Record, data: dict) -> list[Problem]:
    card = data.get("银行卡号")
    if isinstance(card, str) and card.isdigit() and not luhn.is_valid(card):
        return [record.problem("/银行卡号", "bank-card-luhn", "银行卡号校验位不符（Luhn 校验），请核对号码。", WARNING)]
    return []

"""The working cycle of plan section 五: what each status requires of the record, checked without today."""

from __future__ import annotations

import datetime as dt

from generator.clock import parse_date
from generator.errors import WARNING, Problem
from generator.records.load import Record
from generator.records.schema import ACTIVE, CANCELLED, INACTIVE, NOTICE, PENDING, RELIEVED, STATUSES, SURVEY  # noqa: F401 (re-exported)

EXITED = INACTIVE  # the statuses are the schema's enum of 状态 (records/schema.py)
# Exited households are never deleted; they are listed in their own libraries.
LIBRARY = {RELIEVED: "脱困库", CANCELLED: "注销库"}
# A status requires the evidence of every step up to its rank (a cancellation may happen at any step).
RANK = {SURVEY: 0, NOTICE: 1, PENDING: 2, ACTIVE: 3, RELIEVED: 3, CANCELLED: 0}

EMPLOYER, CENTRE, VILLAGE = "用人单位", "帮扶中心", "村委会"
NOTICE_MIN_DAYS = 7
REVIEW_MONTH, REVIEW_DAY = 10, 31
REVIEW_KEEP, REVIEW_RELIEVE, REVIEW_CANCEL = "保留", "解困脱困", "注销"
REVIEW_STATUS = {REVIEW_RELIEVE: RELIEVED, REVIEW_CANCEL: CANCELLED}

RELIEF_REASON = "收入超过标准已解困脱困"
OTHER_REASON = "其他"
# Reasons that end the archive without relief; a household that left for them is cancelled, not relieved.
CANCEL_ONLY = frozenset({"不符合标准", "纳入政府兜底", "退休", "调离", "死亡", "迁出本省"})
# The plan fields of step (五), required of every household being helped that is a 解困脱困 target.
TARGET_PLAN = ("五类重点群体", "四个一批措施", "七个行动计划", "帮扶任务完成时限")
HELPERS = ("帮扶单位", "帮扶责任人")


def check_lifecycle(record: Record, ctx) -> list[Problem]:
    """Working-cycle problems of one schema-valid record; never depends on today (results are cached per blob)."""
    data = record.data
    status = data.get("状态")
    if status not in RANK:
        return []
    out: list[Problem] = []
    rank = RANK[status]
    out += _survey_and_notices(record, data, status, rank)
    if rank >= 3:
        out += _approval_and_plan(record, data, status)
    out += _ahead_of_status(record, data, status)
    out += _reviews(record, data, status)
    out += _exit(record, data, status)
    out += _spot_checks(record, data, status)
    return out


def transition(before: dict, record: Record) -> list[Problem]:
    """Problems of the change from the previous version of a record (for the review of a pull request)."""
    old, new = before.get("状态"), record.data.get("状态")
    if old == new or old not in RANK or new not in RANK:
        return []
    if old in EXITED and new not in EXITED:
        left = parse_date((before.get("退出") or {}).get("日期"))
        surveyed = parse_date((record.data.get("入户调查") or {}).get("调查日期"))
        if left and not (surveyed and surveyed > left):
            return [
                record.problem(
                    "/状态",
                    "reentry-needs-survey",
                    f"档案从{old}重新纳入（{new}），须在退出（{left.isoformat()}）后重新入户调查。",
                )
            ]
        return []
    order = (SURVEY, NOTICE, PENDING, ACTIVE)
    if old in order and new in order and order.index(new) < order.index(old):
        return [record.problem("/状态", "status-backwards", f"状态从{old}退回{new}：请在说明中写明原因。", WARNING)]
    return []


def is_migrant(data: dict) -> bool:
    return data.get("是否农民工") == "是"


def notice_levels(data: dict) -> tuple[str, ...]:
    """The notice levels a household needs, in the order they happen (三公示 for a 农民工)."""
    return (VILLAGE, EMPLOYER, CENTRE) if is_migrant(data) else (EMPLOYER, CENTRE)


def notices_by_level(data: dict) -> dict[str, tuple[int, dict]]:
    """The last recorded notice of each level, with its index in 公示."""
    out: dict[str, tuple[int, dict]] = {}
    for index, notice in enumerate(data.get("公示") or []):
        if isinstance(notice, dict) and notice.get("层级"):
            out[notice["层级"]] = (index, notice)
    return out


def review_deadline(year: int) -> dt.date:
    """The annual verification of a year is due by 31 October of that year."""
    return dt.date(year, REVIEW_MONTH, REVIEW_DAY)


def _survey_and_notices(record: Record, data: dict, status: str, rank: int) -> list[Problem]:
    out = []
    survey = data.get("入户调查") or {}
    surveyed = parse_date(survey.get("调查日期"))
    notices = notices_by_level(data)
    if rank >= 1 and not survey:
        out.append(
            record.problem(
                "/状态", "status-needs-survey", f"状态为{status}，须先完成入户调查：请填写「入户调查」（调查人、调查日期）。"
            )
        )
    if rank >= 1 and not notices:
        out.append(record.problem("/状态", "status-needs-notice", f"状态为{status}，须有公示记录：请填写「公示」。"))
    if rank >= 2:
        absent = [level for level in (EMPLOYER, CENTRE) if level not in notices]
        if absent:
            out.append(
                record.problem(
                    "/状态",
                    "status-needs-notice",
                    f"状态为{status}，须有用人单位和帮扶中心两级公示（各不少于 {NOTICE_MIN_DAYS} 天），"
                    f"缺少{'、'.join(absent)}公示。",
                )
            )
        if survey and survey.get("调查小组签字") != "已签字":
            out.append(
                record.problem(
                    "/入户调查/调查小组签字" if "调查小组签字" in survey else "/入户调查",
                    "survey-unsigned",
                    "调查小组应对调查结果逐户签字（调查小组签字：已签字）。",
                    WARNING,
                )
            )
    for index, notice in enumerate(data.get("公示") or []):
        start = parse_date(notice.get("开始日期"))
        if surveyed and start and start < surveyed:
            out.append(
                record.problem(
                    f"/公示/{index}/开始日期",
                    "notice-before-survey",
                    f"公示开始日期 {start.isoformat()} 早于入户调查日期 {surveyed.isoformat()}：先调查，后公示。",
                )
            )
    if not is_migrant(data) and EMPLOYER in notices and CENTRE in notices:
        # For a 农民工 the rules check the order of the three notices; here the two levels of everyone else.
        employer_end = parse_date(notices[EMPLOYER][1].get("结束日期"))
        index, centre = notices[CENTRE]
        centre_start = parse_date(centre.get("开始日期"))
        if employer_end and centre_start and centre_start <= employer_end:
            out.append(
                record.problem(
                    f"/公示/{index}/开始日期",
                    "notice-order",
                    f"帮扶中心公示（{centre_start.isoformat()} 开始）应在用人单位公示结束（{employer_end.isoformat()}）之后。",
                    WARNING,
                )
            )
    return out


def _approval_and_plan(record: Record, data: dict, status: str) -> list[Problem]:
    out = []
    if not data.get("审批"):
        out.append(
            record.problem(
                "/状态",
                "status-needs-approval",
                f"状态为{status}，须经县级或县级以上工会审批：请填写「审批」（审批单位、审批人、审批日期）。",
            )
        )
    missing = [name for name in HELPERS if not data.get(name)]
    if data.get("是否为解困脱困对象") == "是":
        missing += [name for name in TARGET_PLAN if not data.get(name)]
    if missing:
        out.append(
            record.problem(
                "/状态", "status-needs-plan", f"状态为{status}，须有帮扶计划：缺少{'、'.join(f'「{m}」' for m in missing)}。"
            )
        )
    if data.get("职工签字") != "已签字":
        out.append(
            record.problem(
                "/职工签字" if "职工签字" in data else "/状态",
                "plan-unsigned",
                "帮扶计划和措施应由困难职工签字确认（职工签字：已签字）。",
                WARNING,
            )
        )
    return out


def _ahead_of_status(record: Record, data: dict, status: str) -> list[Problem]:
    """Evidence of a later step while the status still names an earlier one: the status was not moved on."""
    if status == SURVEY and data.get("公示"):
        return [record.problem("/状态", "status-behind", "已有公示记录，状态应为公示中（或以后的环节）。", WARNING)]
    if status in (SURVEY, NOTICE, PENDING) and data.get("审批"):
        return [record.problem("/状态", "status-behind", f"已有审批记录，状态却是{status}：审批建档后应为帮扶中。", WARNING)]
    return []


def _reviews(record: Record, data: dict, status: str) -> list[Problem]:
    out = []
    years: dict[int, int] = {}
    latest = None
    for index, review in enumerate(data.get("年度核查") or []):
        year, day = review.get("年度"), parse_date(review.get("核查日期"))
        if not isinstance(year, int):
            continue
        if year in years:
            out.append(
                record.problem(
                    f"/年度核查/{index}/年度",
                    "review-duplicate",
                    f"{year} 年度已有核查记录（第 {years[year] + 1} 项），每年只核查一次。",
                )
            )
        years[year] = index
        if day and day.year != year:
            out.append(
                record.problem(f"/年度核查/{index}/核查日期", "review-year", f"核查日期 {day.isoformat()} 不在 {year} 年度内。")
            )
        elif day and day > review_deadline(year) and not is_migrant(data):
            # For a 农民工 the rules report this as an unmet 一核查 condition.
            out.append(
                record.problem(
                    f"/年度核查/{index}/核查日期",
                    "review-late",
                    f"年度核查应在 {review_deadline(year).isoformat()} 前完成（核查日期 {day.isoformat()}）。",
                    WARNING,
                )
            )
        if latest is None or year >= latest[1]:
            latest = (index, year, review.get("结果"))
    if latest and latest[2] in REVIEW_STATUS and status != REVIEW_STATUS[latest[2]]:
        index, year, outcome = latest
        out.append(
            record.problem(
                "/状态",
                "review-status",
                f"最近一次年度核查（{year} 年度）结果为{outcome}，状态应为{REVIEW_STATUS[outcome]}"
                f"（并填写「退出」），现为{status}。",
            )
        )
    return out


def _exit(record: Record, data: dict, status: str) -> list[Problem]:
    leave = data.get("退出")
    if leave and status not in EXITED:
        return [
            record.problem("/退出", "exit-status", f"填写了退出，状态却是{status}：退出档案须把状态改为{RELIEVED}或{CANCELLED}。")
        ]
    if not leave or status not in EXITED:
        return []
    out = []
    reason = leave.get("原因")
    if reason == OTHER_REASON and not leave.get("说明"):
        out.append(record.problem("/退出/原因", "exit-reason-note", "退出原因为“其他”，须在「退出」的说明中写明原因。"))
    if status == RELIEVED and reason in CANCEL_ONLY:
        out.append(
            record.problem(
                "/退出/原因", "exit-reason", f"退出原因“{reason}”不是解困脱困：这种情况应注销档案（状态：{CANCELLED}）。", WARNING
            )
        )
    if status == CANCELLED and reason == RELIEF_REASON:
        out.append(
            record.problem(
                "/退出/原因", "exit-reason", f"退出原因为“{RELIEF_REASON}”，状态应为{RELIEVED}而不是{CANCELLED}。", WARNING
            )
        )
    approved = parse_date((data.get("审批") or {}).get("审批日期"))
    left = parse_date(leave.get("日期"))
    if approved and left and left < approved:
        out.append(
            record.problem("/退出/日期", "date-order", f"退出日期 {left.isoformat()} 不能早于审批日期 {approved.isoformat()}。")
        )
    return out


def _spot_checks(record: Record, data: dict, status: str) -> list[Problem]:
    checks = [c for c in data.get("抽查复核") or [] if isinstance(c, dict)]
    if not checks or status in EXITED:
        return []
    index, latest = max(enumerate(checks), key=lambda pair: (str(pair[1].get("日期")), pair[0]))
    if latest.get("结果") == "不属实":
        return [
            record.problem(
                f"/抽查复核/{index}/结果",
                "spot-check-failed",
                f"最近一次抽查复核（{latest.get('日期')}）结果为不属实：请核实后整改，不符合条件的注销档案。",
                WARNING,
            )
        ]
    return []

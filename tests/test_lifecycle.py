"""The working cycle as validation: each status requires the evidence of every earlier step, never today's date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from workflow_support import CENTRE_NOTICE, EMPLOYER_NOTICE, household

from generator.records import schema
from generator.records.dump import dump_record
from generator.records.load import parse_bytes
from generator.records.schema import field_map
from generator.validation import lifecycle
from generator.validation.validate import Context, check_record

STATUSES = ["调查中", "公示中", "待审批", "帮扶中", "已解困脱困", "已注销"]


def problems_of(data: dict, root, today: str = "2026-11-01"):
    record, parsed = parse_bytes(dump_record(data).encode("utf-8"), "records/460105/4601050001.yaml")
    assert record is not None, parsed
    return check_record(record, Context(root, today=dt.date.fromisoformat(today)))


def without(status: str, *keys: str, **changes) -> dict:
    data = household(status, **changes)
    for key in keys:
        data.pop(key, None)
    return data


def test_statuses_are_the_schema_vocabulary():
    assert list(schema.STATUSES) == list(field_map()["/状态"].enum) == STATUSES  # records/schema.py reads the enum
    assert set(lifecycle.CANCEL_ONLY) | {lifecycle.RELIEF_REASON, "本人申请退出", "其他"} == set(field_map()["/退出/原因"].enum)
    assert {lifecycle.EMPLOYER, lifecycle.CENTRE, lifecycle.VILLAGE} == set(field_map()["/公示/*/层级"].enum)
    assert lifecycle.LIBRARY == {"已解困脱困": "脱困库", "已注销": "注销库"}


@pytest.mark.parametrize("status", STATUSES)
def test_a_household_in_every_status_passes(status, archive):
    assert [p.to_text() for p in problems_of(household(status), archive)] == []


def test_cancelled_during_survey_needs_no_notice_or_approval(archive):
    data = household("调查中", 状态="已注销", 退出={"日期": "2016-09-05", "原因": "不符合标准"})
    assert problems_of(data, archive) == []


CASES = [
    # (what, data, code, severity, field)
    ("notice without survey", lambda: without("公示中", "入户调查"), "status-needs-survey", "error", "状态"),
    ("notice without notice", lambda: without("公示中", "公示"), "status-needs-notice", "error", "状态"),
    (
        "approval pending after one notice",
        lambda: household("待审批", 公示=[dict(EMPLOYER_NOTICE)]),
        "status-needs-notice",
        "error",
        "状态",
    ),
    ("helped without approval", lambda: without("帮扶中", "审批"), "status-needs-approval", "error", "状态"),
    ("helped without helper", lambda: without("帮扶中", "帮扶责任人"), "status-needs-plan", "error", "状态"),
    ("target without action plans", lambda: without("帮扶中", "七个行动计划"), "status-needs-plan", "error", "状态"),
    ("target without deadline", lambda: without("帮扶中", "帮扶任务完成时限"), "status-needs-plan", "error", "状态"),
    ("plan not signed", lambda: household("帮扶中", 职工签字="未签字"), "plan-unsigned", "warning", "职工签字"),
    (
        "survey not signed",
        lambda: household("待审批", 入户调查={"调查人": ["甲"], "调查日期": "2016-08-10"}),
        "survey-unsigned",
        "warning",
        "入户调查",
    ),
    ("status left behind notices", lambda: household("调查中", 公示=[dict(EMPLOYER_NOTICE)]), "status-behind", "warning", "状态"),
    (
        "status left behind approval",
        lambda: household("待审批", 审批={"审批单位": "示例", "审批人": "示例", "审批日期": "2016-09-01"}),
        "status-behind",
        "warning",
        "状态",
    ),
    ("relieved without approval", lambda: without("已解困脱困", "审批"), "status-needs-approval", "error", "状态"),
    (
        "relieved because dead",
        lambda: household("已解困脱困", 退出={"日期": "2017-10-20", "原因": "死亡"}),
        "exit-reason",
        "warning",
        "退出.原因",
    ),
    (
        "cancelled because relieved",
        lambda: household("已注销", 退出={"日期": "2017-05-01", "原因": "收入超过标准已解困脱困"}),
        "exit-reason",
        "warning",
        "退出.原因",
    ),
    (
        "other reason unexplained",
        lambda: household("已注销", 退出={"日期": "2017-05-01", "原因": "其他"}),
        "exit-reason-note",
        "error",
        "退出.原因",
    ),
    (
        "exit while helped",
        lambda: household("帮扶中", 退出={"日期": "2017-05-01", "原因": "调离"}),
        "exit-status",
        "error",
        "退出",
    ),
    (
        "exit before approval",
        lambda: household("已注销", 退出={"日期": "2016-08-31", "原因": "调离"}),
        "date-order",
        "error",
        "退出.日期",
    ),
    (
        "review cancelled, status not",
        lambda: household("帮扶中", 年度核查=[{"年度": 2017, "核查日期": "2017-10-01", "核查人": "甲", "结果": "注销"}]),
        "review-status",
        "error",
        "状态",
    ),
    (
        "two reviews in a year",
        lambda: household(
            "帮扶中",
            年度核查=[
                {"年度": 2017, "核查日期": "2017-10-01", "核查人": "甲", "结果": "保留"},
                {"年度": 2017, "核查日期": "2017-10-02", "核查人": "甲", "结果": "保留"},
            ],
        ),
        "review-duplicate",
        "error",
        "年度核查[2].年度",
    ),
    (
        "review outside its year",
        lambda: household("帮扶中", 年度核查=[{"年度": 2017, "核查日期": "2018-01-05", "核查人": "甲", "结果": "保留"}]),
        "review-year",
        "error",
        "年度核查[1].核查日期",
    ),
    (
        "review after 31 October",
        lambda: household("帮扶中", 年度核查=[{"年度": 2017, "核查日期": "2017-11-05", "核查人": "甲", "结果": "保留"}]),
        "review-late",
        "warning",
        "年度核查[1].核查日期",
    ),
    (
        "notice before survey",
        lambda: household("公示中", 公示=[dict(EMPLOYER_NOTICE, 开始日期="2016-08-01", 结束日期="2016-08-08")]),
        "notice-before-survey",
        "error",
        "公示[1].开始日期",
    ),
    (
        "centre notice overlaps employer's",
        lambda: household(
            "待审批", 公示=[dict(EMPLOYER_NOTICE), dict(CENTRE_NOTICE, 开始日期="2016-08-20", 结束日期="2016-08-27")]
        ),
        "notice-order",
        "warning",
        "公示[2].开始日期",
    ),
    (
        "spot check failed",
        lambda: household("帮扶中", 抽查复核=[{"日期": "2018-03-01", "复核单位": "海南省总工会（示例）", "结果": "不属实"}]),
        "spot-check-failed",
        "warning",
        "抽查复核[1].结果",
    ),
]


@pytest.mark.parametrize(("what", "build", "code", "severity", "field"), CASES, ids=[c[0] for c in CASES])
def test_status_requires_the_evidence_of_every_earlier_step(what, build, code, severity, field, archive):
    found = problems_of(build(), archive)
    assert (code, severity, field) in {(p.code, p.severity, p.field) for p in found}, [p.to_text() for p in found]
    mine = [p for p in found if p.code == code]
    assert all(p.line and re.search(r"[\u4e00-\u9fff]", p.message) for p in mine), mine


def test_a_helped_household_that_is_not_a_target_needs_no_target_plan(archive):
    data = without("帮扶中", "五类重点群体", "四个一批措施", "七个行动计划", "帮扶任务完成时限", 是否为解困脱困对象="否")
    assert [p for p in problems_of(data, archive) if p.code.startswith("status")] == []


def test_the_message_names_every_missing_plan_field(archive):
    data = without("帮扶中", "帮扶单位", "七个行动计划")
    (problem,) = [p for p in problems_of(data, archive) if p.code == "status-needs-plan"]
    assert problem.message == "状态为帮扶中，须有帮扶计划：缺少「帮扶单位」、「七个行动计划」。"
    assert problem.line == 5


@pytest.mark.parametrize("status", STATUSES)
def test_results_do_not_depend_on_today(status, archive):
    data = without(status, "入户调查", "审批")
    early = [p for p in problems_of(data, archive, "2018-01-01") if p.code != "future-date"]
    late = [p for p in problems_of(data, archive, "2040-01-01") if p.code != "future-date"]
    ours = {c[2] for c in CASES}
    assert [p for p in early if p.code in ours] == [p for p in late if p.code in ours]


def _record(data: dict):
    record, _ = parse_bytes(dump_record(data).encode("utf-8"), "records/460105/4601050001.yaml")
    return record


def test_a_transition_forward_or_out_is_fine():
    assert lifecycle.transition(household("公示中"), _record(household("待审批"))) == []
    assert lifecycle.transition(household("帮扶中"), _record(household("已注销"))) == []


def test_a_transition_backwards_is_flagged():
    (problem,) = lifecycle.transition(household("帮扶中"), _record(household("公示中")))
    assert (problem.code, problem.severity, problem.line) == ("status-backwards", "warning", 5)


def test_reentry_after_exit_needs_a_new_survey():
    old = household("已注销")
    (problem,) = lifecycle.transition(old, _record(household("帮扶中")))
    assert problem.code == "reentry-needs-survey" and problem.is_error
    resurveyed = household("帮扶中", 入户调查={"调查人": ["甲"], "调查日期": "2018-03-01", "调查小组签字": "已签字"})
    assert lifecycle.transition(old, _record(resurveyed)) == []

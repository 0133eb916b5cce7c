"""The dates of one household's working cycle: survey, notices, approval, annual reviews, exit."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from generator.demo.draw import pick, ri, rr, wpick

CAMPAIGN = (dt.date(2016, 5, 3), dt.date(2016, 10, 20))  # the 2016 survey campaign of the plan
NOTICE_DAYS = 7
STATUS_WEIGHTS = {"帮扶中": 66, "已解困脱困": 15, "已注销": 7, "调查中": 4, "公示中": 3, "待审批": 5}
CANCEL_REASONS = ("不符合标准", "纳入政府兜底", "退休", "调离", "死亡", "迁出本省", "本人申请退出", "其他")
CANCEL_WEIGHTS = (20, 25, 12, 8, 6, 6, 13, 10)


@dataclass
class Notice:
    level: str
    start: dt.date
    end: dt.date


@dataclass
class Timeline:
    """Every date of the household's cycle; `assessed` is the date the eligibility rules use."""

    status: str
    survey: dt.date | None
    decided: dt.date
    notices: list[Notice] = field(default_factory=list)
    approved: dt.date | None = None
    reviews: list[tuple[int, dt.date, str]] = field(default_factory=list)
    exit: dt.date | None = None
    exit_reason: str | None = None
    village_survey: dt.date | None = None
    village_meeting: dt.date | None = None
    village_proof: dt.date | None = None
    employer_proof: dt.date | None = None
    centre_visit: dt.date | None = None

    @property
    def assessed(self) -> dt.date:
        days = [d for _, d, _ in self.reviews] + ([self.survey] if self.survey else [])
        return max(days) if days else self.decided

    @property
    def established(self) -> dt.date:
        return self.survey or self.decided

    today: dt.date = dt.date(2026, 11, 1)


def make_timeline(rng: random.Random, status: str, today: dt.date, migrant: bool) -> Timeline:
    """Dates consistent with the status: notices ≥ 7 days each, approval after them, reviews by 31 October."""
    if status == "调查中":
        survey = today - dt.timedelta(days=rr(rng, 2, 40))
        has_survey = rng.random() < 0.8
        line = Timeline(status, survey if has_survey else None, survey, today=today)
        return line
    if status in ("公示中", "待审批"):
        return _pending(rng, status, today, migrant)
    return _approved(rng, status, today, migrant)


def _pending(rng: random.Random, status: str, today: dt.date, migrant: bool) -> Timeline:
    if status == "公示中":
        # The centre's notice is running: today is its last day, so no date lies in the future.
        centre_start = today - dt.timedelta(days=NOTICE_DAYS + rr(rng, 3))
        survey = centre_start - dt.timedelta(days=rr(rng, 28, 40))
    else:
        survey = today - dt.timedelta(days=rr(rng, 40, 70))
    line = Timeline(status, survey, survey, today=today)
    _notices(rng, line, migrant)
    if status == "公示中":
        line.notices[-1] = Notice("帮扶中心", centre_start, today)
    return line


def _approved(rng: random.Random, status: str, today: dt.date, migrant: bool) -> Timeline:
    latest = today - dt.timedelta(days=75 if status == "帮扶中" else 460)
    if rng.random() < 0.45:
        survey = _between(rng, *CAMPAIGN)
    else:
        survey = _between(rng, CAMPAIGN[1], latest)
    line = Timeline(status, survey, survey, today=today)
    _notices(rng, line, migrant)
    line.approved = line.notices[-1].end + dt.timedelta(days=rr(rng, 1, 20))
    line.decided = line.approved
    if status == "已注销" and rng.random() < 0.15:
        # Cancelled before approval: an objection during the notices proved founded.
        line.approved = None
        line.decided = survey
        line.exit = line.notices[-1].end + dt.timedelta(days=rr(rng, 3, 20))
        line.exit_reason = "不符合标准"
        return line
    exit_year = None
    if status in ("已解困脱困", "已注销"):
        first, last = line.approved.year + 1, _last_review_year(today)
        exit_year = ri(rng, first, max(first, last))
    _reviews(rng, line, today, exit_year)
    if status in ("已解困脱困", "已注销"):
        _exit(rng, line, status, exit_year, today)
    return line


def _notices(rng: random.Random, line: Timeline, migrant: bool) -> None:
    """用人单位 then 帮扶中心 notices; a 农民工's survey is the village's, then 一会、两证明、村委会公示, then the visit."""
    survey = line.survey
    if migrant:
        line.village_survey = survey
        line.village_meeting = survey + dt.timedelta(days=rr(rng, 1, 4))
        line.village_proof = line.village_meeting + dt.timedelta(days=rr(rng, 0, 3))
        line.employer_proof = line.village_meeting + dt.timedelta(days=rr(rng, 0, 4))
        village = _notice(rng, "村委会", max(line.village_proof, line.employer_proof) + dt.timedelta(days=1))
        line.notices.append(village)
        start = village.start + dt.timedelta(days=rr(rng, 0, 3))
    else:
        start = survey + dt.timedelta(days=rr(rng, 2, 8))
    line.notices.append(_notice(rng, "用人单位", start))
    lower_end = max(n.end for n in line.notices)
    if migrant:
        line.centre_visit = lower_end + dt.timedelta(days=rr(rng, 1, 4))
        lower_end = line.centre_visit
    line.notices.append(_notice(rng, "帮扶中心", lower_end + dt.timedelta(days=rr(rng, 1, 5))))


def _notice(rng: random.Random, level: str, start: dt.date) -> Notice:
    return Notice(level, start, start + dt.timedelta(days=NOTICE_DAYS + pick(rng, (0, 0, 1, 2, 3))))


def _last_review_year(today: dt.date) -> int:
    return today.year if today > dt.date(today.year, 10, 31) else today.year - 1


def _reviews(rng: random.Random, line: Timeline, today: dt.date, exit_year: int | None) -> None:
    """One review a year after the year of approval, between September and 31 October."""
    last = _last_review_year(today) if exit_year is None else exit_year
    for year in range(line.approved.year + 1, last + 1):
        day = dt.date(year, pick(rng, (9, 10)), rr(rng, 1, 31))
        line.reviews.append((year, min(day, today - dt.timedelta(days=1)), "保留"))


def _exit(rng: random.Random, line: Timeline, status: str, exit_year: int, today: dt.date) -> None:
    if status == "已解困脱困":
        reason = "收入超过标准已解困脱困" if rng.random() < 0.9 else "其他"
    else:
        reason = wpick(rng, CANCEL_REASONS, CANCEL_WEIGHTS)
    at_review = reason in ("收入超过标准已解困脱困", "不符合标准", "纳入政府兜底") and line.reviews and rng.random() < 0.8
    if at_review:
        year, day, _ = line.reviews[-1]
        line.reviews[-1] = (year, day, "解困脱困" if status == "已解困脱困" else "注销")
        line.exit = day
    else:
        if line.reviews:
            line.reviews.pop()  # the household left before that year's review
        after = line.reviews[-1][1] if line.reviews else line.approved
        earliest = max(after + dt.timedelta(days=20), dt.date(exit_year, 1, 1))
        latest = min(dt.date(exit_year, 10, 31), today - dt.timedelta(days=1))
        line.exit = _between(rng, min(earliest, latest), latest)
    line.exit_reason = reason


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    span = (last - first).days
    return first + dt.timedelta(days=rr(rng, span + 1)) if span > 0 else first


def months_after(day: dt.date, months: int) -> str:
    """YYYY-MM of the month `months` after `day`."""
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)

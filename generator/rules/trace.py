"""The assessment of one household and its step-by-step explanation (text and JSON)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from generator.errors import ERROR
from generator.rules.standards import Sourced

CENT = Decimal("0.01")
EXAMPLE_NOTE = "注意：认定标准文件标为示例数据，以下标准数值是虚构的，部署前必须替换为当地公布的标准。"


def yuan(amount: Decimal) -> str:
    """36000 → 36,000; 937.5 → 937.50 (amounts are shown to the fen only when they have fen, rounded half up).

    The one money format: the trace, the pages (site/render.yuan) and the review diff (history/diff.money) use it.
    """
    whole = int(amount)
    if whole == amount:
        return f"{whole:,}"
    return f"{amount.quantize(CENT, ROUND_HALF_UP):,}"


def cents(amount: Decimal) -> str:
    """Always two decimals: 937.50."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP):,}"


def per_month(annual: Decimal, people: int) -> Decimal:
    """Annual household amount → per person per month, rounded half up to the fen (display only)."""
    return (annual / 12 / people).quantize(CENT, ROUND_HALF_UP)


class Step:
    """One step of the explanation: a Chinese sentence, its numbers and the standards it used."""

    __slots__ = ("key", "_text", "values", "sources")

    def __init__(self, key: str, text: str | Callable[[], str], values: dict | None = None, sources: tuple = ()):
        self.key, self._text, self.values, self.sources = key, text, values or {}, sources

    @property
    def text(self) -> str:
        """The sentence; written only when someone reads it (validation of a province rarely does)."""
        if callable(self._text):
            self._text = self._text()
        return self._text

    def to_dict(self) -> dict:
        out = {"步骤": self.key, "说明": self.text}
        if self.values:
            out["数值"] = {k: _jsonable(v, k) for k, v in self.values.items()}
        if self.sources:
            out["标准来源"] = [s.to_dict() for s in self.sources]
        return out


@dataclass(frozen=True)
class Finding:
    """Something the rules found wrong or noteworthy, placed at a JSON pointer of the record."""

    pointer: str
    code: str
    message: str
    severity: str = ERROR


@dataclass
class Assessment:
    """The outcome of the eligibility rules for one household, with every step that led to it."""

    number: str
    county: str
    declared: str
    assessed_on: dt.date
    date_basis: str
    category: str | None = None
    household_income: Decimal = Decimal(0)
    imputed: Decimal = Decimal(0)
    per_capita: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    multiplier: Decimal | None = None
    deducted: Decimal = Decimal(0)
    cancel: bool = False
    exited: bool = False
    example: bool = False
    zero_employment: bool | None = None
    single_parent: bool | None = None
    migrant_missing: list[str] = field(default_factory=list)
    migrant_refused: bool = False  # a 农民工 condition is unmet (not merely an overdue review): no 农民工 archive
    steps: list[Step] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    explain: bool = True  # False: keep no steps (validation of a province; see assess)

    @property
    def agrees(self) -> bool:
        """The declared 困难类别 is what the rules give, and a 农民工 household meets the 农民工 conditions
        (exited records are not re-judged)."""
        return self.exited or (self.category == self.declared and not self.migrant_refused)

    def add(self, key: str, text: str | Callable[[], str], sources: tuple[Sourced, ...] = (), **values) -> None:
        if self.explain:
            self.steps.append(Step(key, text, values, sources))

    def flag(self, pointer: str, code: str, message: str, severity: str = ERROR) -> None:
        self.findings.append(Finding(pointer, code, message, severity))

    def conclusion(self) -> str:
        """The one-line verdict."""
        if self.migrant_refused:
            income = f"按收入和困难情形可认定为{self.category}" if self.category else "按收入和困难情形也不能认定为困难职工家庭"
            verdict = f"农民工条件不全（{'；'.join(self.migrant_missing)}），不能作为农民工困难职工家庭建档（{income}）"
        elif self.category is None:
            verdict = "不能认定为困难职工家庭"
        else:
            verdict = f"认定为{self.category}"
            if self.cancel:
                verdict += "（经政府救助后无特殊困难，应予注销）"
        if self.migrant_missing and not self.migrant_refused:
            verdict += f"；农民工条件不全：{'；'.join(self.migrant_missing)}"
        if self.exited:
            said = f"档案已退出，困难类别不再复核（填报：{self.declared}）"
        elif self.agrees:
            said = f"与填报的困难类别“{self.declared}”一致"
        else:
            said = f"与填报的困难类别“{self.declared}”不一致"
        return f"{verdict}；{said}。"

    def step_lines(self) -> list[str]:
        return [f"{i}. {step.text}" for i, step in enumerate(self.steps, 1)]

    def to_text(self) -> str:
        """The explanation as the CLI and the archive page show it."""
        lines = [f"职工编号 {self.number}，评估日期 {self.assessed_on.isoformat()}（{self.date_basis}）"]
        if self.example:
            lines.append(EXAMPLE_NOTE)
        lines += self.step_lines()
        lines.append(f"结论：{self.conclusion()}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The same steps and verdict as JSON-ready data; money always as a string with two decimals ("60000.00")."""
        return {
            "职工编号": self.number,
            "所属地区": self.county,
            "评估日期": self.assessed_on.isoformat(),
            "评估日期依据": self.date_basis,
            "示例标准": self.example,
            "家庭年度总收入": money(self.household_income),
            "推算收入": money(self.imputed),
            "家庭月人均收入": money(self.per_capita),
            "低保标准": money(self.lower),
            "边缘倍数": None if self.multiplier is None else str(self.multiplier),
            "边缘上限": money(self.upper),
            "扣除特殊支出": money(self.deducted),
            "步骤": [s.to_dict() for s in self.steps],
            "填报类别": self.declared,
            "认定类别": self.category,
            "应予注销": self.cancel,
            "零就业家庭": self.zero_employment,
            "单亲": self.single_parent,
            "农民工条件缺项": list(self.migrant_missing),
            "已退出": self.exited,
            "一致": self.agrees,
            "结论": self.conclusion(),
        }


NOT_MONEY = frozenset({"边缘倍数"})  # the one decimal in the steps that is not an amount of money


def money(amount: Decimal | None) -> str | None:
    """An amount in JSON: a string with exactly two decimals, no separators ("60000.00", "937.50")."""
    return None if amount is None else str(Decimal(amount).quantize(CENT, ROUND_HALF_UP))


def _jsonable(value, key: str = ""):
    if isinstance(value, Decimal):
        return str(value) if key in NOT_MONEY else money(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, key) for v in value]
    return value

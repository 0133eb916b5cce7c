"""The eligibility rules of plan section 五（一）: income, imputed income, per-capita income, category."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from generator.errors import WARNING
from generator.records.schema import INACTIVE
from generator.rules.facts import HouseholdFacts, Person, read_household
from generator.rules.family import check_family
from generator.rules.migrant import check_migrant
from generator.rules.situations import ACCIDENT, EXPENSE_FOR, counted_situations
from generator.rules.situations import EDGE as EDGE_SITUATIONS
from generator.rules.standards import MINIMUM_WAGE, MULTIPLIER, RURAL, URBAN, Sourced, Standards
from generator.rules.trace import Assessment, cents, per_month, yuan

DIBAO, EDGE, ACCIDENT_CATEGORY = "低保户", "低保边缘户", "意外致困户"
EXITED = frozenset(INACTIVE)
IMPUTE_AGE = 20
JOBLESS = frozenset({"无业", "下岗失业"})


def assess(data: dict, county: str, standards: Standards, today: dt.date | None = None, *, explain: bool = True) -> Assessment:
    """Judge one household by the standards in force on its assessment date, recording every step.

    With explain=False no steps are kept (a quarter faster), unless the declared category disagrees:
    then the household is judged again with steps, because that error carries the whole computation.
    """
    return assess_household(read_household(data, county), standards, today, explain=explain)


def assess_household(
    household: HouseholdFacts,
    standards: Standards,
    today: dt.date | None = None,
    *,
    explain: bool = True,
    on: dt.date | None = None,
) -> Assessment:
    """assess() of a household already read; on: judge it as if re-verified that day, when later than its own date."""
    day, basis = assessment_date(household)
    if on is not None and on > day:
        basis = f"按 {on.isoformat()} 复核计（档案的评估日期为 {day.isoformat()}，{basis}）"
        day = on
    result = Assessment(
        household.number,
        household.county,
        household.declared,
        day,
        basis,
        exited=household.status in EXITED,
        example=standards.example,
        explain=explain,
    )
    lower, multiplier = _dibao_standard(result, household, standards)
    total = _household_income(result, household)
    imputed = _imputed_income(result, household, standards)
    income = total + imputed
    _per_capita(result, household, income)
    card_valid = _dibao_card(result, household)
    situations = counted_situations(result, household)
    if lower is not None and multiplier is not None:
        result.lower = lower.value
        result.multiplier = multiplier.value
        result.upper = lower.value * multiplier.value
        _categorise(result, household, income, card_valid, situations)
    check_family(result, household)
    check_migrant(result, household, today)
    if not explain and not result.agrees:
        return assess_household(household, standards, today, on=on)
    _declared(result, household, card_valid)
    return result


def assessment_date(household: HouseholdFacts) -> tuple[dt.date, str]:
    """The latest of the survey date and the annual reviews' dates; 确定时间 when neither exists."""
    latest, field = household.survey_date, "入户调查的调查日期"
    for _, year, day, _ in household.reviews:
        if latest is None or day > latest:
            latest, field = day, f"{year} 年度核查的核查日期"
    if latest is None:
        return household.decided, "没有入户调查和年度核查记录，取确定时间"
    return latest, f"取入户调查和年度核查中最晚的日期：{field}"


def _dibao_standard(result: Assessment, household: HouseholdFacts, standards: Standards):
    """The urban or rural 低保 standard and the multiplier in force; records where each came from."""
    field, why = dibao_field(household)
    day, county = result.assessed_on, household.county
    lower = standards.lookup(county, field, day)
    multiplier = standards.lookup(county, MULTIPLIER, day)
    for name, found in ((field, lower), (MULTIPLIER, multiplier)):
        if found is None:
            result.flag(
                "/所属地区",
                "no-standard",
                f"认定标准文件中没有地区 {county} 在 {day.isoformat()} 施行的{name}，无法认定困难类别。",
            )
    if lower is None or multiplier is None:
        result.add("standards", f"适用标准：找不到 {day.isoformat()} 施行的{field if lower is None else MULTIPLIER}，无法认定。")
        return lower, multiplier
    upper = lower.value * multiplier.value
    result.add(
        "standards",
        lambda: (
            f"适用标准：{why}，用{field} {yuan(lower.value)} 元/人·月（{lower.source()}）；"
            f"边缘倍数 {multiplier.value}（{multiplier.source()}）；"
            f"边缘上限 {yuan(lower.value)} × {multiplier.value} = {yuan(upper)} 元/人·月。"
        ),
        (lower, multiplier),
        低保类型=field,
        低保标准=lower.value,
        边缘倍数=multiplier.value,
        边缘上限=upper,
    )
    return lower, multiplier


def dibao_field(household: HouseholdFacts) -> tuple[str, str]:
    """Which 低保 standard applies (urban or rural) and why: the card's kind, else the hukou."""
    card_kind = household.dibao and household.dibao["低保类型"]
    if card_kind:
        return (URBAN if card_kind == "城市低保" else RURAL), f"低保证上的低保类型为{card_kind}"
    if household.hukou == "农业户口":
        return RURAL, "户口类型为农业户口"
    return URBAN, f"户口类型为{household.hukou}"


def imputable(household: HouseholdFacts) -> bool:
    """Whether any member could be imputed the minimum wage (jobless, no income); the age and the rest decide later."""
    return any(p.identity in JOBLESS and p.monthly_income == 0 for p in household.members)


def _household_income(result: Assessment, household: HouseholdFacts) -> Decimal:
    """家庭年度总收入 from its parts, compared with the declared figure."""
    own = household.worker.monthly_income
    members = sum((m.monthly_income for m in household.members), Decimal(0))
    total = own * 12 + members * 12 + household.other_annual
    result.household_income = total

    def computation() -> str:
        detail = "、".join(f"{m.name} {yuan(m.monthly_income)} 元" for m in household.members if m.monthly_income)
        return (
            f"本人月平均收入 {yuan(own)} 元 × 12 ＋ 家庭成员月收入合计 {yuan(members)} 元"
            f"{f'（{detail}）' if detail else ''} × 12 ＋ 家庭其他非薪资年收入 {yuan(household.other_annual)} 元"
            f" = {yuan(total)} 元"
        )

    declared = household.declared_total
    if total == declared:
        said = "与填报一致"
    else:
        said = f"填报为 {yuan(declared)} 元，不一致"
        result.flag(
            "/家庭年度总收入", "income-total", f"家庭年度总收入填为 {yuan(declared)} 元，按各项收入应为：{computation()}。"
        )
    result.add("income", lambda: f"家庭年度总收入：{computation()}（{said}）。", 家庭年度总收入=total, 填报=declared)
    return total


def _imputed_income(result: Assessment, household: HouseholdFacts, standards: Standards) -> Decimal:
    """Minimum-wage income for members aged 20+ able to work, jobless, without income or a certificate."""
    day = result.assessed_on
    notes, imputed = [], Decimal(0)
    wage: Sourced | None = None
    for person in household.members:
        if person.identity not in JOBLESS or person.monthly_income != 0:
            continue
        age = person.age_on(day)
        who = f"{person.label}（{person.birth.isoformat()} 生，评估日期时 {age} 周岁，{person.identity}、无收入）"
        reason = _not_imputed(person, age)
        if reason:
            notes.append(f"{who}{reason}，不推算")
            continue
        wage = wage or standards.lookup(household.county, MINIMUM_WAGE, day)
        if wage is None:
            result.flag(
                "/所属地区",
                "no-standard",
                f"认定标准文件中没有地区 {household.county} 在 {day.isoformat()} 施行的最低工资标准，无法推算收入。",
            )
            notes.append(f"{who}应推算收入，但找不到施行的最低工资标准")
            continue
        amount = wage.value * 12
        imputed += amount
        able = "有劳动能力" if person.able is not None else "未填“有劳动能力”，按有劳动能力计"
        notes.append(
            f"{who}{able}，没有无业无收入证明，按最低工资标准 {yuan(wage.value)} 元/月"
            f"（{wage.source()}）× 12 = {yuan(amount)} 元推算"
        )
        result.flag(
            f"{person.pointer}/无业无收入证明",
            "imputed-income",
            f"{person.name}年满 {IMPUTE_AGE} 周岁、有劳动能力而无业无收入，没有社区居委会、村民委员会或用人单位"
            f"出具的证明，按最低工资标准 {yuan(wage.value)} 元/月推算收入 {yuan(amount)} 元/年。",
            WARNING,
        )
    result.imputed = imputed
    if not notes:
        result.add("imputed", "推算收入：没有无业无收入的家庭成员，无需推算。", 推算收入=imputed)
        return imputed
    text = "；".join(notes)
    total = f"；推算收入合计 {yuan(imputed)} 元" if imputed else ""
    result.add("imputed", f"推算收入：{text}{total}。", (wage,) if wage and imputed else (), 推算收入=imputed)
    return imputed


def _not_imputed(person: Person, age: int) -> str:
    """Why a jobless member without income is not imputed, or '' when they are."""
    if age < IMPUTE_AGE:
        return f"未满 {IMPUTE_AGE} 周岁"
    if person.health in ("重大疾病", "残疾"):
        return f"健康状况为{person.health}"
    if person.is_student:
        return "在校学习"
    if not person.able_to_work():
        return "没有劳动能力"
    if person.certificate:
        cert = person.certificate
        return f"有{cert.get('出具单位', '')}出具的证明「{cert.get('证明名称', '')}」"
    return ""


def _per_capita(result: Assessment, household: HouseholdFacts, income: Decimal) -> None:
    """家庭月人均收入 = (家庭年度总收入 + 推算收入) ÷ 12 ÷ 家庭人口, shown to the fen."""
    result.per_capita = per_month(income, household.size)

    def computation() -> str:
        parts = (
            f"(家庭年度总收入 {yuan(result.household_income)} 元 ＋ 推算收入 {yuan(result.imputed)} 元)"
            if result.imputed
            else f"家庭年度总收入 {yuan(result.household_income)} 元"
        )
        return f"{parts} ÷ 12 ÷ {household.size} 人 = {cents(result.per_capita)} 元/人·月"

    said = ""
    declared = household.declared_per_capita
    if declared is not None:
        if declared == result.per_capita:
            said = "（与填报一致）"
        elif result.imputed and declared == per_month(result.household_income, household.size):
            said = f"（填报为 {cents(declared)} 元，未计入推算收入）"
            result.flag(
                "/家庭月人均收入",
                "per-capita-without-imputed",
                f"家庭月人均收入填为 {cents(declared)} 元，未计入推算收入；认定按：{computation()}。",
                WARNING,
            )
        else:
            said = f"（填报为 {cents(declared)} 元，不一致）"
            result.flag(
                "/家庭月人均收入",
                "per-capita",
                f"家庭月人均收入填为 {cents(declared)} 元，按规则应为：{computation()}（四舍五入到分）。",
            )
    result.add(
        "per-capita",
        lambda: f"家庭月人均收入：{computation()}{said}。",
        家庭月人均收入=result.per_capita,
        家庭人口=household.size,
    )


def _dibao_card(result: Assessment, household: HouseholdFacts) -> bool:
    """Whether a 低保证 is valid on the assessment date (both ends inclusive)."""
    card, day = household.dibao, result.assessed_on
    if card is None:
        result.add("dibao-card", "低保证：没有。")
        return False
    if card["止"] < day:
        said, valid = "已过期，不作为低保户认定依据", False
    elif card["起"] > day:
        said, valid = "尚未生效，不作为低保户认定依据", False
    else:
        said, valid = "在有效期内", True
    result.add(
        "dibao-card",
        lambda: (
            f"低保证（证号 {card['证号']}）有效期 {card['起'].isoformat()} 至 {card['止'].isoformat()}，"
            f"评估日期 {day.isoformat()} {said}。"
        ),
    )
    return valid


def _categorise(result: Assessment, household: HouseholdFacts, income: Decimal, card_valid: bool, situations: dict) -> None:
    """Apply the three category rules of 五（一） in order; comparisons are exact (no rounding)."""
    lower, upper, size = result.lower, result.upper, household.size

    def shown() -> str:
        hidden = _exactly(income, size, lower) or _exactly(income, size, upper)
        return (
            f"家庭月人均收入 {cents(result.per_capita)} 元{hidden}；低保标准 {yuan(lower)} 元，"
            f"边缘上限 {yuan(upper)} 元（{result.multiplier} 倍）"
        )

    if card_valid:
        result.category = DIBAO
        if situations:
            result.add(
                "category",
                lambda: f"持有效低保证 → 低保户；困难情形：{'、'.join(situations)} → 经政府救助后仍有特殊困难，保留档案。",
            )
        else:
            result.cancel = True
            result.add(
                "category",
                "持有效低保证 → 低保户；没有记录任何困难情形 → 经政府救助后没有特殊困难，"
                "按方案应列入政府保障救助兜底，注销困难职工档案。",
            )
            if not result.exited:
                result.flag(
                    "/困难情形",
                    "dibao-cancel",
                    "低保户经政府救助后没有记录任何特殊困难情形：按《实施方案》五（一）应列入政府保障救助兜底，"
                    "予以注销困难职工档案（或补充困难情形及证明材料）。",
                    WARNING,
                )
        return
    if income <= lower * 12 * size:
        result.category = EDGE
        result.add(
            "category",
            lambda: (
                f"{shown()} → 不高于低保标准，但没有有效低保证："
                f"属“收入低于低保线而未纳入低保”，按低保边缘户建档，并应协助其申请低保。"
            ),
        )
        return
    if income <= upper * 12 * size:
        found = [s for s in situations if s in EDGE_SITUATIONS]
        if found:
            result.category = EDGE
            result.add(
                "category", lambda: f"{shown()} → 高于低保标准、不高于边缘上限；有困难情形：{'、'.join(found)} → 低保边缘户。"
            )
        else:
            result.add(
                "category",
                lambda: (
                    f"{shown()} → 在边缘范围内，但没有有证明材料的"
                    f"急症、慢性疾病、残疾、失业后再就业困难、意外灾害、子女就学等情形 → 不能列入困难职工范围。"
                ),
            )
        return
    _accident(result, household, income, situations, shown)


def _accident(result: Assessment, household: HouseholdFacts, income: Decimal, situations: dict, shown) -> None:
    """意外致困户: above the upper limit, a major situation, and income less proven expenses within the limit."""
    upper, size = result.upper, household.size
    major = [s for s in situations if s in ACCIDENT]
    if not major:
        result.add(
            "category",
            lambda: (
                f"{shown()} → 高于边缘上限，且没有有证明材料的"
                f"重大疾病、残疾基本丧失劳动能力、重大意外事故、子女上大学等情形 → 不能认定为困难职工家庭。"
            ),
        )
        return
    result.add("category", f"{shown()} → 高于边缘上限；有{'、'.join(major)} → 按意外致困户扣除支出后计算。")
    counted, skipped, deducted = [], [], Decimal(0)
    for expense in household.expenses:
        amount = Decimal(str(expense["年度金额"]))
        needed = EXPENSE_FOR[expense["类别"]]
        if needed in major:
            deducted += amount
            counted.append(f"{expense['类别']} {yuan(amount)} 元（凭证：{expense['凭证']}）")
        else:
            skipped.append(f"{expense['类别']} {yuan(amount)} 元（没有“{needed}”情形，不扣除）")
    result.deducted = deducted
    remainder = income - deducted
    shown_remainder = per_month(max(remainder, Decimal(0)), size)
    listed = "；".join(counted) or "没有可扣除的支出凭证"
    extra = f"；{'；'.join(skipped)}" if skipped else ""
    within = remainder <= upper * 12 * size
    verdict = "在边缘上限以内 → 意外致困户" if within else "仍高于边缘上限 → 不能认定为困难职工家庭"
    sign = "≤" if within else ">"
    if remainder < 0:
        computed = (
            f"支出合计超过家庭收入 {yuan(income)} 元，扣除后的收入按 0 元计，月人均 0.00 元/人·月 ≤ 边缘上限 {yuan(upper)} 元"
        )
        result.flag(
            "/特殊支出",
            "expenses-exceed-income",
            f"可扣除的特殊支出合计 {yuan(deducted)} 元，超过家庭收入 {yuan(income)} 元（家庭年度总收入"
            f"{'＋推算收入' if result.imputed else ''}）：请核对支出凭证的金额和家庭收入。",
            WARNING,
        )
    else:
        computed = (
            f"({yuan(income)} 元 − {yuan(deducted)} 元) ÷ 12 ÷ {size} 人 = {cents(shown_remainder)} 元/人·月"
            f" {sign} 边缘上限 {yuan(upper)} 元{_exactly(remainder, size, upper)}"
        )
    result.add(
        "expenses",
        f"扣除特殊支出：{listed}{extra}；合计 {yuan(deducted)} 元。{computed} → {verdict}。",
        扣除特殊支出=deducted,
        扣除后月人均=shown_remainder,
    )
    if within:
        result.category = ACCIDENT_CATEGORY


def _exactly(annual: Decimal, size: int, limit: Decimal) -> str:
    """A note when rounding to the fen hides which side of the limit the exact value lies on."""
    shown = per_month(annual, size)
    exact = annual / 12 / size
    if shown != limit.quantize(shown) or exact == limit:
        return ""
    digits = exact.quantize(Decimal("0.000001"), ROUND_HALF_UP)
    return f"（未四舍五入为 {digits}… 元，{'高于' if exact > limit else '低于'} {yuan(limit)} 元）"


def _declared(result: Assessment, household: HouseholdFacts, card_valid: bool) -> None:
    """A declared 困难类别 the rules do not support is an error that carries the whole computation."""
    if result.agrees or (result.migrant_refused and result.category == household.declared):
        return  # an unmet 农民工 condition is flagged where it is, not as a wrong category
    trace = "\n".join("  " + line for line in result.step_lines())
    if household.declared == DIBAO and not card_valid:
        head = (
            f"困难类别填为低保户，但评估日期 {result.assessed_on.isoformat()} 没有有效的低保证"
            f"（低保户必须持有民政部门颁发的在有效期内的低保证）"
        )
        result.flag(
            "/低保证" if household.dibao else "/困难类别",
            "dibao-card",
            f"{head}。计算过程：\n{trace}\n  结论：{result.conclusion()}",
        )
        return
    if result.category is None:
        head = f"困难类别填为{household.declared}，但按《实施方案》五（一）不能认定为困难职工家庭"
    else:
        head = f"困难类别填为{household.declared}，按《实施方案》五（一）应为{result.category}"
    result.flag("/困难类别", "category", f"{head}。计算过程：\n{trace}\n  结论：{result.conclusion()}")

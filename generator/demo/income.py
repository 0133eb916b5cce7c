"""Incomes that put a household exactly where its category says, by the rules of 五（一）."""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from generator.demo.draw import pick, ri, rr
from generator.demo.family import Family

STEP = 1000  # incomes move in steps of 10 yuan (fen)
MAX_RAISE = Decimal("2.2")  # wages grow at most this much; the rest is non-wage income


def target_per_capita(rng: random.Random, category: str, lower: Decimal, upper: Decimal, natural: int) -> tuple[int, int | None]:
    """(monthly per-capita income before deductions, after deductions or None), in fen, inside the band.

    Within the band the target stays near what the people's roles would earn (`natural`), so that
    wages are scaled as little as possible.
    """
    low, up = int(lower * 100), int(upper * 100)
    if category == "低保户":
        band = (low * 35 // 100, low * 92 // 100)
    elif category == "低保边缘户" and rng.random() < 0.25:  # below the 低保 line but without a 低保证
        band = (low * 55 // 100, low * 95 // 100)
    elif category == "低保边缘户":
        band = (low * 104 // 100, up * 96 // 100)
    else:
        band = (up * 108 // 100, up * 220 // 100)
    wished = int(natural * rng.uniform(0.8, 1.1))
    target = min(max(wished, band[0]), band[1]) if natural else _uniform(rng, *band)
    if target in band:
        target = _uniform(rng, *band) if rng.random() < 0.3 else target
    after = _uniform(rng, low * 75 // 100, up * 94 // 100) if category == "意外致困户" else None
    return target, after


def fit_incomes(rng: random.Random, family: Family, per_capita: int, imputed_annual: int) -> int | None:
    """Set every person's monthly income; return 家庭其他非薪资年收入 (fen), or None if impossible."""
    size = family.size
    declared = per_capita * 12 * size - imputed_annual
    if declared < 0:
        return None
    earners = [p for p in family.people if p.nominal > 0]
    wages = sum(p.nominal for p in earners) * 12
    other = 0 if rng.random() < 0.45 else rr(rng, 600, 9000) * 100
    other = min(other, declared * 3 // 10)
    if not earners:
        for person in family.people:
            person.income = 0
        return declared
    budget = declared - other
    scale = min(Decimal(budget) / Decimal(wages), MAX_RAISE)
    for person in earners:
        monthly = int((person.nominal * scale / STEP).to_integral_value(ROUND_FLOOR)) * STEP
        person.income = max(monthly, STEP)
    for person in family.people:
        if person.nominal == 0:
            person.income = 0
    rest = declared - 12 * sum(p.income for p in family.people)
    while rest < 0:  # the 10-yuan floor pushed the sum over: take it back from the best earner
        top = max(earners, key=lambda p: p.income)
        if top.income <= STEP:
            return None
        top.income -= STEP
        rest += 12 * STEP
    if rest >= 600 and rng.random() < 0.12:
        pick(rng, earners).income += 50  # an income with jiao: 1,234.50 yuan
        rest -= 600
    return rest


def deductions(rng: random.Random, family_size: int, before: int, after: int, count: int) -> list[int]:
    """Yearly special expenses (fen, whole tens of yuan) bringing per-capita income from `before` to ≤ `after`."""
    needed = Decimal((before - after) * 12 * family_size)
    total = int((needed / (STEP * 10)).to_integral_value(ROUND_CEILING)) * STEP * 10
    if count == 1:
        return [total]
    parts, left = [], total
    for _ in range(count - 1):
        share = int(left * rng.uniform(0.2, 0.6) / (STEP * 10)) * STEP * 10
        parts.append(share)
        left -= share
    return parts + [left]


def yuan(fen: int) -> int | float:
    """Fen as the YAML number: an int when whole, else with its decimals (exact, ≤ 2 places)."""
    if fen % 100 == 0:
        return fen // 100
    return float(Decimal(fen) / 100)


def _uniform(rng: random.Random, low: int, high: int) -> int:
    return ri(rng, low, high) if high > low else low

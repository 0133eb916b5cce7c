"""Small-cell suppression: figures shown to readers who may not read archives never single out a family.

A count of 1 to 4 households (and every figure computed from those households: people, times helped, money)
is shown as "*". Where the rows of a table add up to a published total, one hidden cell could be worked out
from the total, so the smallest other cell is hidden too (complementary suppression). This is done table by
table; docs/access.md says what it does not cover. A zero names nobody and
stays, except in a table about fewer than 5 households: there the zeros would tell what all of them share
(a county's only family is 已注销 when every other status is 0), so every figure is hidden.
docs/access.md explains the threshold.
"""

from __future__ import annotations

SMALL_CELL = 5  # counts below this (and above zero) are hidden; statistical offices publish from 5 (or 3 to 10)
HIDDEN = "*"
TOTAL = "合计"
NOTE = f"“{HIDDEN}”表示少于 {SMALL_CELL} 户（或可由合计推算出这样的格子）的数字，不公开。"


def small(count: int) -> bool:
    """Whether a household count is too small to publish."""
    return 0 < count < SMALL_CELL


def suppress(table: dict) -> dict:
    """A copy of a statistics table with small cells hidden.

    table["units"]: (count column, columns derived from those households); table["total"]: the rows add up to a
    published total; table["base"]: how many households the scope and the table are about.
    """
    rows = [list(row) for row in table["rows"]]
    if any(small(count) for count in table["base"]):
        rows = [[row[0], *(HIDDEN for _ in row[1:])] for row in rows]
    for count_column, derived in table["units"]:
        hidden = _hidden(rows, count_column, linked=table["total"])
        for index in hidden:
            for column in (count_column, *derived):
                rows[index][column] = HIDDEN
    note = table["note"] + (NOTE if any(HIDDEN in row for row in rows) else "")
    return {**table, "rows": rows, "note": note}


def _hidden(rows: list[list], column: int, linked: bool) -> set[int]:
    """Rows whose cell in this column is hidden: small ones, and for rows adding up to a total, a partner."""
    hidden = {i for i, row in enumerate(rows) if row[column] == HIDDEN or small(row[column])}
    if linked:
        body = [i for i, row in enumerate(rows) if row[0] != TOTAL]
        alone = [i for i in body if i in hidden]
        # The smallest other non-zero cell; a zero only when there is none (two hidden cells, one known sum).
        partners = sorted((rows[i][column] == 0, rows[i][column], i) for i in body if i not in hidden)
        if len(alone) == 1 and partners:
            hidden.add(partners[0][2])
    return hidden


def suppress_counts(counts: list[int]) -> list[int | str]:
    """Counts of parts of one published total (households by status), small ones hidden with a partner."""
    if small(sum(counts)):
        return [HIDDEN] * len(counts)
    hidden = _hidden([["", n] for n in counts], 1, linked=True)
    return [HIDDEN if i in hidden else n for i, n in enumerate(counts)]


def shown(count: int, figure=None, base: int | None = None):
    """A figure computed from `count` of `base` households (by default the count itself) as anyone may see it."""
    if small(count) or (base is not None and small(base)):
        return HIDDEN
    return count if figure is None else figure

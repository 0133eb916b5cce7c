"""Fast draws from a seeded random.Random (its choice/randrange/choices are slow in bulk)."""

from __future__ import annotations

from bisect import bisect_right
from functools import cache
from itertools import accumulate


def pick(rng, items):
    """One item of a sequence, uniformly."""
    return items[int(rng.random() * len(items))]


def rr(rng, start: int, stop: int | None = None, step: int = 1) -> int:
    """Like randrange: an integer in [start, stop) on the grid of `step`."""
    if stop is None:
        start, stop = 0, start
    count = (stop - start + step - 1) // step
    return start + step * int(rng.random() * count)


def ri(rng, low: int, high: int) -> int:
    """Like randint: an integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


@cache
def _cumulative(weights: tuple) -> tuple:
    return tuple(accumulate(weights))


def wpick(rng, items, weights: tuple):
    """One item, drawn with the given (constant, hashable) weights."""
    cumulative = _cumulative(tuple(weights))
    return items[bisect_right(cumulative, rng.random() * cumulative[-1])]

"""Worker processes: one place decides when a batch is worth them, how many, and how they start.

Every pool of the program takes its threshold and worker count from POLICY and its start method from
context(); state reaches the workers as arguments (with fork they are inherited, not pickled). no_gc() is the
one way to switch the cyclic garbage collector off around a batch.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple


class Policy(NamedTuple):
    from_items: int  # below this many items, starting worker processes costs more than they save
    most: int  # workers at most (memory: each forked worker copies the pages it touches)


POLICY = {
    "parse": Policy(1500, 4),  # records parsed for validation and loading
    "validate": Policy(1500, 4),  # records parsed and checked
    "site-data": Policy(1500, 2),  # households parsed for the site (each worker holds a share of the province)
    "render": Policy(400, 2),  # household pages rendered
    "details": Policy(1500, 4),  # what each change of the history did to a household
    "impact": Policy(1500, 4),  # records read for the impact of a change of the standards
    "demo": Policy(2000, 2),  # synthetic households written
}


def context() -> multiprocessing.context.BaseContext:
    """The start method of every pool: fork where the platform has it (workers inherit what the parent built)."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def workers(kind: str, items: int, jobs: int | None = None) -> int:
    """How many worker processes `items` of this kind are worth: 1 means do the work here."""
    policy = POLICY[kind]
    count = min(jobs or policy.most, os.cpu_count() or 1)
    return count if items >= policy.from_items and count >= 2 else 1


def map_chunks(
    worker: Callable[..., list],
    items: Sequence,
    kind: str,
    *args,
    jobs: int | None = None,
    before: Callable[[], None] | None = None,
) -> list:
    """worker(chunk, *args) over small chunks of items, in order and flattened; in worker processes when they pay.

    before: run in the parent before the workers start, to build what they should inherit rather than rebuild.
    """
    count = workers(kind, len(items), jobs)
    if count == 1:
        return worker(items, *args)
    if before is not None:
        before()
    size = max(100, len(items) // (count * 20))  # small chunks: workers finish together
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=count, mp_context=context()) as pool:
        return [out for part in pool.map(worker, chunks, *([arg] * len(chunks) for arg in args)) for out in part]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Run a batch step with the cyclic garbage collector off (restored after).

    Loading, checking and indexing a province allocates millions of small objects and no cycles
    worth collecting; the collector's passes over them cost up to three times the work itself.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()

"""The one place that decides worker processes: thresholds, counts, start method, and the same results either way."""

from __future__ import annotations

import os

import pytest

from generator import parallel
from generator.parallel import POLICY, Policy, map_chunks, workers
from generator.records.load import _load_chunk
from generator.validation.validate import Context, _check_key, checked


def _pids(chunk, offset):
    return [(item + offset, os.getpid()) for item in chunk]


def test_small_batches_stay_in_this_process():
    assert workers("validate", POLICY["validate"].from_items - 1) == 1
    assert map_chunks(_pids, list(range(5)), "validate", 10) == [(i + 10, os.getpid()) for i in range(5)]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one processor: no worker processes")
def test_large_batches_go_to_workers_in_order_with_their_arguments(monkeypatch):
    monkeypatch.setitem(POLICY, "validate", Policy(10, 2))
    items = list(range(500))
    got = map_chunks(_pids, items, "validate", 1)
    assert [value for value, _ in got] == [i + 1 for i in items]
    assert os.getpid() not in {pid for _, pid in got}
    assert workers("validate", 500, jobs=1) == 1  # --jobs 1 is obeyed


def test_the_start_method_is_explicit():
    assert parallel.context().get_start_method() in ("fork", "spawn")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one processor: no worker processes")
def test_validation_in_workers_finds_what_it_finds_here(archive, base_record_text, monkeypatch):
    records = archive / "records" / "460105"
    records.mkdir(parents=True, exist_ok=True)
    items = []
    for n in range(1, 41):
        number = f"460105{9000 + n:04d}"
        path = records / f"{number}.yaml"
        text = base_record_text.replace("4601059001", number)
        path.write_text(text if n % 7 else text.replace("状态: 帮扶中", "状态: 不存在的状态"), encoding="utf-8")
        items.append((f"records/460105/{number}.yaml", str(path), None))
    ctx = Context(archive)
    args = (ctx, _check_key(ctx))
    here = _load_chunk(items, checked, args)
    monkeypatch.setitem(POLICY, "validate", Policy(10, 2))
    there = map_chunks(_load_chunk, items, "validate", checked, args)
    assert there == here and any(entry[1] for _, _, entry in here)

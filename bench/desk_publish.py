"""Issue 14's publishing target: approve on the desk → merged → the household's page and its scope lists published.

Builds a synthetic province (bench/province.py), publishes it once through the desk's publisher (the cold build
every later one starts from), then for each run: an editor's change request on one household (the desk's own
plumbing), approved through the desk's approving path (checked again on main, signed --no-ff merge), and the
background job that updates the desk's checkout and runs `bangfu build` into the site. Times: approve → merged,
merged → published (the household page and its county's list rewritten, then the site swapped in), and the total.

    .venv/bin/python bench/desk_publish.py                     # the province: 26,700 households
    .venv/bin/python bench/desk_publish.py --households 2000   # quicker
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from province import make_province_repo  # noqa: E402

from generator.desk.flow import approve  # noqa: E402
from generator.desk.identity import User  # noqa: E402
from generator.desk.plumbing import MAIN, Git, Person  # noqa: E402
from generator.desk.publishing import Publisher  # noqa: E402
from generator.desk.state import read_json  # noqa: E402
from generator.records.dump import dump_record  # noqa: E402
from generator.records.load import parse_bytes  # noqa: E402


def wait_published(publisher: Publisher, merged: str, limit: float = 1800) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = publisher.status(merged)
        if state.site != "正在发布":
            return state.site + (f"：{state.site_error}" if state.site_error else "")
        time.sleep(0.05)
    return "timed out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=26700)
    parser.add_argument("--commits", type=int, default=2700)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "out-desk")
    parser.add_argument("--keep", action="store_true", help="reuse the province (and its site) already in --work")
    opts = parser.parse_args()
    root, site = opts.work / "province", opts.work / "site"
    if not (opts.keep and (root / ".git").is_dir()):
        shutil.rmtree(opts.work, ignore_errors=True)
        opts.work.mkdir(parents=True)
        started = time.perf_counter()
        make_province_repo(root, opts.households, opts.commits)
        print(f"province: {opts.households} households in {time.perf_counter() - started:.1f} s", flush=True)
    key = opts.work / "desk-key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "desk@example.invalid", "-f", str(key)], check=True)
    git = Git(root)
    publisher = Publisher(git, site, None)
    main_now = git.resolve(MAIN)
    started = time.perf_counter()
    publisher.after_merge(main_now, wait=True)
    print(f"first publication (cold, full build): {time.perf_counter() - started:.1f} s, {wait_published(publisher, main_now)}")
    households = git.records(main_now)
    reviewer = User("bench-reviewer", "示例审核员", (), ("46",), "reviewer@example.invalid")
    merger = Person("编辑台", "desk@example.invalid")
    rows = []
    for run in range(opts.runs):
        path = households[(run + 1) * len(households) // (opts.runs + 1)]
        number = path.rsplit("/", 1)[1].removesuffix(".yaml")
        data = parse_bytes(git.blob(main_now, path), path)[0].data
        data["备注"] = f"编辑台发布基准 {time.strftime('%H:%M:%S')} 第 {run + 1} 次"  # a new value on every run, --keep too
        editor = Person(f"编辑{number[:6]}", f"editor-{number[:6]}@example.invalid")
        found = git.submit(f"bench-{run}", number, path, dump_record(data).encode(), editor, "基准测试修改\n")
        started = time.perf_counter()
        merged, refusal = approve(git, found, reviewer, merger, key, publisher)
        if merged is None:
            raise SystemExit(f"not merged: {refusal}")
        at_merge = time.perf_counter()
        outcome = wait_published(publisher, merged)
        done = time.perf_counter()
        page = site / "h" / number[:6] / number / "index.html"
        live = page.is_file() and data["备注"] in page.read_text(encoding="utf-8")
        rows.append((at_merge - started, done - at_merge, done - started))
        took = f"merged {at_merge - started:.2f} s, published {done - at_merge:.2f} s later"
        print(f"run {run + 1}: {number} {took}; {outcome}; the page shows the change: {live}", flush=True)
        summary = (read_json(publisher.folder / "site.json") or {}).get("summary", "")
        print("    build: " + summary.replace("\n", " / "), flush=True)
        main_now = merged
    print()
    print(f"| Desk, approve → published ({opts.households:,} households) | median | min–max |")
    print("|---|---|---|")
    for name, column in (("approve → merged", 0), ("merged → published", 1), ("approve → published (target ≤ 15 s)", 2)):
        values = [r[column] for r in rows]
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f}–{max(values):.2f} s |")


if __name__ == "__main__":
    main()

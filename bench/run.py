"""Province-scale benchmark: prints a table of medians (min–max) on this machine. Not a test.

    python bench/run.py [--households 26700] [--commits 2700] [--runs 3] [--work bench/out]

It makes a synthetic province with `bangfu demo`, commits it as a git history of editor branches and
reviewer merges (git fast-import; each merge then signed by its reviewer), then times the steps issue 8 names,
each in a fresh process, and
samples the resident memory of the whole process tree.
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from province import make_province_repo, merge_one_change  # noqa: E402

PYTHON = sys.executable
SAMPLE_EVERY = 0.5  # seconds between memory samples
TODAY = "2026-11-01"
IMPACT_SET = "4601:城市低保标准=700@2027-01-01"


_KCMP = {"x86_64": 312, "aarch64": 272}.get(os.uname().machine)  # kcmp(2): do two processes share an address space?
_libc = ctypes.CDLL(None, use_errno=True) if _KCMP else None


def _same_memory(pid: int, other: int) -> bool:
    """Whether pid runs in other's address space: a child started with vfork (subprocess does so) until it execs."""
    return _libc is not None and _libc.syscall(_KCMP, pid, other, 1, 0, 0) == 0  # 1: KCMP_VM


def _tree_rss_kb(pid: int) -> int:
    """Proportional resident memory (PSS) of a process and all its descendants, in KiB.

    PSS splits pages shared between forked workers, so the sum is real memory, not a double count. A child
    still in vfork (subprocess starts git that way; under load it may wait there a while) shows its parent's
    whole address space as its own: it is skipped, else each git started by a pool of threads could count
    the parent twice (1.2 GiB "peaks" that were 0.6 GiB).
    """
    total, stack = 0, [(pid, None)]
    while stack:
        current, parent = stack.pop()
        try:
            if parent is None or not _same_memory(current, parent):
                with open(f"/proc/{current}/smaps_rollup") as fh:
                    total += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    stack.extend((int(c), current) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def timed(args: list[str], cwd: Path) -> tuple[float, int, int]:
    """Run a command; return (seconds, exit code, peak tree RSS in KiB)."""
    env = {**os.environ, "BANGFU_TODAY": TODAY}
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample():
        # Reading smaps_rollup of a 1 GB process costs the kernel about 10 ms: sampling three processes
        # 20 times a second took half a core from the run being measured. Twice a second costs about 3 %.
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    return seconds, proc.returncode, peak


def bangfu(*args: str) -> list[str]:
    return [PYTHON, "-m", "generator", *args]


def _clear_cache(root: Path) -> None:
    """Forget everything a cold run must not find: the caches folder (parsed records, checks, history details,
    impact facts; `<git dir>/bangfu-cache`), the clean-merge verdicts (every merge is redone by merge-tree) and
    the signature verdicts (every signed merge is verified again), and a working tree's legacy .bangfu-cache.

    Any other bangfu-* file in the git directory stops the bench: a cache it does not know of would make
    its "cold" figures warm.
    """
    from generator import gitrun
    from generator.history.merges import CLEAN_LIST
    from generator.history.signatures import CACHE as SIGNATURES
    from generator.records.cache_files import LEGACY_DIR, cache_dir

    git_dir = Path(gitrun.run("-C", str(root), "rev-parse", "--absolute-git-dir", text=True).stdout.strip())
    folder = cache_dir(root)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(root / LEGACY_DIR, ignore_errors=True)
    for name in (CLEAN_LIST, SIGNATURES):
        (git_dir / name).unlink(missing_ok=True)
    left = sorted(p.name for p in git_dir.glob("bangfu*"))
    if left or folder.exists():
        raise SystemExit(f"bench: caches the bench does not know how to clear: {left or [str(folder)]}")


SKIP: set[str] = set()


def measure(name: str, runs: int, prepare, command, cwd: Path, rows: list, peaks: list) -> None:
    if name.split(",")[0].split(" ")[0] in SKIP or any(name.startswith(s) for s in SKIP):
        return
    times = []
    step_peak = 0
    for _ in range(runs):
        prepare()
        seconds, code, peak = timed(command, cwd)
        if code != 0:  # a step that failed (a build refusing an invalid province) measured nothing
            raise SystemExit(f"bench: {name} failed (exit {code}); no figures")
        times.append(seconds)
        peaks.append((name, peak))
        step_peak = max(step_peak, peak)
    rows.append((name, statistics.median(times), min(times), max(times), code, step_peak, times))
    print(
        f"  {name}: {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}; "
        f"peak {step_peak / 1024:.0f} MiB)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=26700)
    parser.add_argument("--commits", type=int, default=2700)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "out")
    parser.add_argument("--keep", action="store_true", help="reuse an existing province in --work")
    parser.add_argument("--skip", default="", help="comma-separated steps to skip: validate,build,fresh,rebuild,history,impact")
    opts = parser.parse_args()
    SKIP.update(
        {
            "validate": "validate",
            "build": "full build, all",
            "fresh": "full build into",
            "rebuild": "rebuild",
            "history": "history",
            "impact": "impact",
        }[s]
        for s in opts.skip.split(",")
        if s
    )

    root = opts.work / "province"
    site = opts.work / "site"
    if not (opts.keep and (root / ".git").is_dir()):
        shutil.rmtree(opts.work, ignore_errors=True)
        opts.work.mkdir(parents=True)
        start = time.perf_counter()
        commits = make_province_repo(root, opts.households, opts.commits)
        print(f"province: {opts.households} households, {commits} commits in {time.perf_counter() - start:.1f} s", flush=True)

    rows: list = []
    peaks: list = []
    validate = bangfu("validate", "--root", str(root))
    build = bangfu("build", "--root", str(root), "--out", str(site))
    one = sorted((root / "records").glob("4*/*.yaml"))[len(list((root / "records").glob("4*/*.yaml"))) // 2]

    def touch_one():
        text = one.read_text(encoding="utf-8")
        one.write_text(
            text.replace("备注: ", "备注: 已复核；", 1) if "备注: " in text else text + "备注: 基准测试修改\n", encoding="utf-8"
        )

    def restore_one():
        subprocess.run(["git", "checkout", "--", str(one)], cwd=root, check=True)

    measure("validate, cold", opts.runs, lambda: _clear_cache(root), validate, root, rows, peaks)
    measure("validate, nothing changed", opts.runs, lambda: None, validate, root, rows, peaks)
    measure(
        "validate, one record changed",
        opts.runs,
        lambda: (restore_one(), validate_warm(root), touch_one()),
        validate,
        root,
        rows,
        peaks,
    )
    restore_one()
    state = site.with_name(site.name + ".bangfu")  # the spare generation and the handbook's cache

    def empty_site():
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)

    measure("full build, all scopes (cold)", opts.runs, lambda: (_clear_cache(root), empty_site()), build, root, rows, peaks)
    measure("full build into an empty folder (caches warm)", opts.runs, empty_site, build, root, rows, peaks)
    measure("rebuild after one merged change", opts.runs, lambda: merge_one_change(root), build, root, rows, peaks)
    history = [
        PYTHON,
        "-c",
        "import sys; from pathlib import Path; from generator.history.log import read_history; "
        "h = read_history(Path(sys.argv[1])); print(h)",
        str(root),
    ]
    measure("history pass (cold)", opts.runs, lambda: _clear_cache(root), history, root, rows, peaks)

    # Issue 16: one city's urban 低保 standard rises; every household judged, those of that city twice.
    impact = bangfu("impact", "--root", str(root), "--set", IMPACT_SET)
    measure("impact, one changed standard (cold)", opts.runs, lambda: _clear_cache(root), impact, root, rows, peaks)
    measure("impact, one changed standard (facts cached)", opts.runs, lambda: None, impact, root, rows, peaks)

    finder = site / "s" / "46" / "finder.json"
    raw = finder.read_bytes() if finder.exists() else b""
    print()
    print(f"| Measure ({opts.households:,} households, {os.cpu_count()} cores) | median | min–max | peak memory (PSS) |")
    print("|---|---|---|---|")
    for name, median, low, high, _, step_peak, _ in rows:
        print(f"| {name} | {median:.2f} s | {low:.2f}–{high:.2f} s | {step_peak / 1024:.0f} MiB |")
    peak_name, peak_kb = max(peaks, key=lambda p: p[1], default=("", 0))
    print(f"| peak memory (process tree, PSS) | {peak_kb / 1024:.0f} MiB | in: {peak_name} |")
    print(f"| finder data, province scope | {len(raw) / 1e6:.2f} MB raw, {len(gzip.compress(raw, 9)) / 1e6:.2f} MB gzipped | |")


def validate_warm(root: Path) -> None:
    subprocess.run(
        bangfu("validate", "--root", str(root)),
        cwd=root,
        env={**os.environ, "BANGFU_TODAY": TODAY},
        stdout=subprocess.DEVNULL,
        check=False,
    )


if __name__ == "__main__":
    main()

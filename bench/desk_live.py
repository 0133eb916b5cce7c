"""The desk's live check at province scale: p50/p95/max of one check (schema + rules + trace + 一人一档). Not a test.

    python bench/desk_live.py [--households 26700] [--checks 200] [--work bench/out/desk]

It makes a synthetic province (bench/province.py, about 40 commits), starts the desk's Flask application in this
process (as one gunicorn worker runs it), opens one household so the worker builds its index of main's identity
numbers, then POSTs the form of `--checks` random households, each with one field changed, to /desk/live/<number>
exactly as the browser's script does (CSRF token, form-encoded), and times each answer. The issue's target is
p95 ≤ 200 ms per check.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from province import make_province_repo  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from generator.desk import form as desk_form  # noqa: E402
from generator.desk.app import Config, create_app  # noqa: E402
from generator.desk.identity import USER_HEADER  # noqa: E402
from generator.desk.plumbing import Git  # noqa: E402
from generator.records.load import parse_bytes  # noqa: E402

EDITOR = "sheng-demo"  # the sample access.yaml's province-wide 经办人


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=26700)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "desk")
    parser.add_argument("--keep", action="store_true", help="reuse the province in --work if it is there")
    args = parser.parse_args()
    root = args.work / "province"
    if not (args.keep and (root / ".git").is_dir()):
        shutil.rmtree(args.work, ignore_errors=True)
        start = time.perf_counter()
        make_province_repo(root, args.households, 41)
        print(f"province of {args.households} households made in {time.perf_counter() - start:.1f} s")
    git = Git(root)
    main_commit = git.resolve("refs/heads/main")
    paths = git.records(main_commit)
    rng = random.Random(1)
    chosen = rng.sample(paths, min(args.checks, len(paths)))
    app = create_app(Config(root, root / "no-key", "desk@example.invalid", b"bench-secret-not-for-production"))
    client = app.test_client()
    client.environ_base["HTTP_" + USER_HEADER.upper().replace("-", "_")] = EDITOR
    first = chosen[0].rsplit("/", 1)[1].removesuffix(".yaml")
    start = time.perf_counter()
    page = client.get(f"/desk/h/{first}")
    warm = time.perf_counter() - start
    assert page.status_code == 200, page.status_code
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    print(f"first page (builds the worker's index of {len(paths)} households): {warm:.2f} s")
    times = []
    errors = 0
    for path in chosen:
        number = path.rsplit("/", 1)[1].removesuffix(".yaml")
        data = parse_bytes(git.blob(main_commit, path), path)[0].data
        items = [(k, v) for k, v in desk_form.form_items(data) if k not in ("职工编号", "所属地区")]
        items = [(k, "13800000000" if k == "手机号码" else v) for k, v in items]  # one field typed
        body = MultiDict([("csrf_token", token), *items])
        start = time.perf_counter()
        answer = client.post(f"/desk/live/{number}", data=body)
        times.append(time.perf_counter() - start)
        if answer.status_code != 200 or "trace" not in answer.get_json():
            errors += 1
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    again = create_app(Config(root, root / "no-key", "desk@example.invalid", b"bench-secret-not-for-production")).test_client()
    again.environ_base.update(client.environ_base)
    start = time.perf_counter()
    assert again.get(f"/desk/h/{first}").status_code == 200
    restart = time.perf_counter() - start
    print(f"first page of a new worker (numbers kept by blob in the desk's state): {restart:.2f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"live check of {len(times)} households: p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; failed answers: {errors}; "
        f"peak memory of this process {rss:.0f} MiB"
    )
    print(f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")


if __name__ == "__main__":
    main()

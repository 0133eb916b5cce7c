"""`bangfu serve --with-desk` (what `make demo` runs), started for real as a user would: a copy of this repository's
archive in a work folder, real nginx with basic auth on a free loopback port, the desk under gunicorn. A sample
editor logs in, the desk lists only their county, a change is submitted and approved and reaches the served site;
stopping the demo leaves no nginx or gunicorn behind, and this repository's records are untouched."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from nginx_support import NGINX, REPO, Client, fetch, free_port

from generator.serve_desk import DEMO_PASSWORD, tools

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(not Path(NGINX).exists() or None in tools().values(), reason="needs nginx, htpasswd, ssh-keygen"),
]

COUNTY = "460105"  # xy-demo's county (秀英区) in the sample access.yaml


def _records_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "records").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _descendants(pid: int) -> dict[int, tuple[str, str]]:
    """Every living process under pid: pid → (start time, command line)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = _identity(child)
                todo.append(child)
    return {p: who for p, who in found.items() if who}


def _identity(pid: int) -> tuple[str, str] | None:
    """(start time, command line) of a living process, None when it is gone (or only a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if stat[0] == "Z":
            return None
        return stat[19], Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def _wait_for(path: Path, text: str, process: subprocess.Popen, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = path.read_text(encoding="utf-8", errors="replace")
        if text in shown:
            return shown
        assert process.poll() is None, shown
        time.sleep(0.2)
    raise AssertionError(path.read_text(encoding="utf-8", errors="replace"))


def _token(body: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()


def _post(client: Client, path: str, fields: dict[str, str], form: str = "") -> tuple[int, dict[str, str], bytes]:
    """POST fields to path with the session and CSRF token of the page at form (default: path), as a browser would."""
    status, headers, body = client.get(form or path)
    assert status == 200, body[:300]
    client.headers.update({"Cookie": headers["set-cookie"].split(";", 1)[0], "Content-Type": "application/x-www-form-urlencoded"})
    answer = client.get(path, "POST", urllib.parse.urlencode({"csrf_token": _token(body), **fields}).encode())
    del client.headers["Content-Type"]
    return answer


def test_make_demo_serves_site_and_desk_behind_nginx_and_stops_cleanly(tmp_path):
    before = _records_digest()
    port, work = free_port(), tmp_path / "demo"
    shown = tmp_path / "shown.txt"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "generator", "serve", "--with-desk", "--port", str(port), "--work", str(work)]
    with open(shown, "wb") as out:
        demo = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        text = _wait_for(shown, "按 Ctrl+C 停止", demo, 180)
        assert f"http://127.0.0.1:{port}/desk/" in text and f"密码都是：{DEMO_PASSWORD}" in text
        assert re.search(r"xy-demo（秀英区经办人示例）：秀英区（460105）经办人", text)
        assert re.search(r"reviewer-460105（示例秀英审核员）：秀英区（460105）审核人——在编辑台批准", text)

        mine = sorted(p.stem for p in (work / "archive" / "records" / COUNTY).glob("*.yaml"))  # the desk's copy
        with Client(port, "xy-demo", DEMO_PASSWORD) as editor:
            status, _, body = editor.get("/desk/")
            assert status == 200
            listed = sorted(set(re.findall(r"/desk/h/([0-9]{10})", body.decode())))
            assert listed == mine and mine  # only their county's households, all of them
            assert editor.status(f"/desk/h/{'4601060001'}") == 403
            assert editor.get("/")[0] == 200  # the site's home page, through the same login
        assert fetch(port, "/")[0] == 401  # nobody gets in without a password
        assert fetch(port, "/desk/", "xy-demo", "wrong")[0] == 401

        number = mine[0]
        page = f"/h/{COUNTY}/{number}/"
        record = (work / "archive" / "records" / COUNTY / f"{number}.yaml").read_text(encoding="utf-8")
        old = re.search(r'(?m)^邮政编码: "([0-9]{6})"', record).group(1)
        new = "570999" if old != "570999" else "570998"
        assert new.encode() not in fetch(port, page, "xy-demo", DEMO_PASSWORD)[2]
        with Client(port, "xy-demo", DEMO_PASSWORD) as editor:
            fields = {"action": "submit", "note": "演示：邮政编码更正", "邮政编码": new}
            status, _, body = _post(editor, f"/desk/h/{number}", fields)
            assert status in (200, 303), body[:500]
        request = f"/desk/r/xy-demo/{number}-1"
        with Client(port, "reviewer-460105", DEMO_PASSWORD) as reviewer:
            status, headers, body = _post(reviewer, f"{request}/approve", {}, form=request)
            assert status == 303, body[:500]
        deadline = time.monotonic() + 120  # the desk rebuilds the served site in the background
        while new.encode() not in fetch(port, page, "xy-demo", DEMO_PASSWORD)[2]:
            assert time.monotonic() < deadline, "the approved change never reached the site"
            time.sleep(1)

        running = _descendants(demo.pid)
        commands = " ".join(cmd for _, cmd in running.values())
        assert "nginx: master" in commands and "gunicorn" in commands, commands
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl+C
        try:
            code = demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
    assert code == 0, shown.read_text(encoding="utf-8")
    assert "已停止" in shown.read_text(encoding="utf-8")
    left = {pid: cmd for pid, (start, cmd) in running.items() if _identity(pid) == (start, cmd)}
    assert not left, left  # no orphan nginx, gunicorn or site build
    assert fetch_refused(port)
    assert _records_digest() == before  # the desk changed its copy only


def fetch_refused(port: int) -> bool:
    try:
        fetch(port, "/")
    except OSError:
        return True
    return False


def test_without_htpasswd_the_demo_says_so_and_falls_back_to_the_plain_preview(tmp_path):
    """A machine lacking one of the programs (here htpasswd, left off PATH): the site preview, and why."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("git", "ssh-keygen"):
        (bin_dir / name).symlink_to(tools()[name])
    port, shown = free_port(), tmp_path / "shown.txt"
    env = {**os.environ, "PATH": str(bin_dir), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "generator", "serve", "--with-desk", "--port", str(port), "--out", str(tmp_path / "site")]
    command += ["--work", str(tmp_path / "demo")]
    with open(shown, "wb") as out:
        demo = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        text = _wait_for(shown, "预览地址", demo, 180)
        assert "编辑台的演示需要 htpasswd" in text and "只预览站点" in text
        assert fetch(port, "/")[0] == 200  # the preview has no login
        assert not (tmp_path / "demo").exists()
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise

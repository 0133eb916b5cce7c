"""`bangfu serve`: the built site on 127.0.0.1, rebuilt after a record changes, pages told to reload."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from site_support import copy_samples

from generator.serve import RELOAD_PATH


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _wait(check, timeout: float = 90):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError


def test_serve_rebuilds_on_change_and_pages_reload(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    command = [
        sys.executable,
        "-m",
        "generator",
        "serve",
        "--root",
        str(root),
        "--out",
        str(tmp_path / "site"),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        base = f"http://127.0.0.1:{port}/"
        page = _wait(lambda: _get(base + "h/460105/4601050001/"))
        assert RELOAD_PATH in page and "困难职工档案表" in page
        for method, url, code, words in (
            ("GET", base + "no/such/page/", 404, "页面不存在"),
            ("POST", base, 501, "出错了（501）"),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(
                    urllib.request.Request(url, method=method, data=b"" if method == "POST" else None), timeout=10
                )
            body = refused.value.read().decode("utf-8")
            assert refused.value.code == code and words in body and 'lang="zh"' in body and "Not Found" not in body
        first = _get(base + RELOAD_PATH.lstrip("/"))
        record = root / "records" / "460105" / "4601050001.yaml"
        record.write_text(record.read_text(encoding="utf-8").replace("家庭住址: ", "家庭住址: 新址", 1), encoding="utf-8")
        _wait(lambda: _get(base + RELOAD_PATH.lstrip("/")) != first)
        assert "新址" in _get(base + "h/460105/4601050001/")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "预览地址：http://127.0.0.1:" in output and "Traceback" not in output

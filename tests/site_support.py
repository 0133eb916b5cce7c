"""Helpers for the site tests: the samples built once, a loopback server, and Chromium driven over DevTools.

Chromium is driven through --remote-debugging-pipe (DevTools messages on file descriptors 3 and 4), so no
websocket library is needed and nothing listens on a port.
"""

from __future__ import annotations

import atexit
import base64
import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium that stays on this machine: no network of its own, no background services.
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_BUILT: dict[str, tuple[Path, Path]] = {}


def copy_samples(root: Path, *, git: bool = True) -> Path:
    """The repository's sample records (and settings) in a fresh archive root, committed to a new git repository."""
    shutil.copytree(REPO / "records", root / "records")
    if git:
        run = functools.partial(subprocess.run, cwd=root, check=True, capture_output=True)
        run(["git", "init", "-q", "-b", "main"])
        run(["git", "add", "records"])
        run(["git", "commit", "-q", "-m", "导入样例档案"])
    return root


def built_samples() -> tuple[Path, Path]:
    """(archive root, site folder): the samples built once per test process."""
    if "samples" not in _BUILT:
        from generator.pipeline import build_site

        base = Path(tempfile.mkdtemp(prefix="bangfu-site-"))
        atexit.register(shutil.rmtree, base, True)
        root = copy_samples(base / "archive")
        out = base / "out" / "site"
        build_site(root, out)
        _BUILT["samples"] = (root, out)
    return _BUILT["samples"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@contextmanager
def serving(folder: Path):
    """Serve a folder on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class Browser:
    """Headless Chromium over the DevTools protocol; every request it makes is recorded."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="bangfu-chromium-")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def place_pipes():
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            CHROMIUM,
            *HEADLESS,
            "--disable-extensions",
            "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={self.profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=place_pipes,
            close_fds=False,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        self.requests: list[str] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.page(f"{domain}.enable")
        self.page("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1, mobile=False)

    def _message(self, timeout: float) -> dict:
        end = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer")
            if select.select([self._in], [], [], left)[0]:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message = json.loads(raw)
        if message.get("method") == "Network.requestWillBeSent":
            self.requests.append(message["params"]["request"]["url"])
        return message

    def call(self, method: str, *, session: str | None = None, timeout: float = 30, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message(timeout)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params) -> dict:
        return self.call(method, session=self.session, **params)

    def _event(self, name: str, timeout: float = 30) -> dict:
        end = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == name:
                    return self.events.pop(index)
            self.events.append(self._message(max(0.01, end - time.monotonic())))

    def goto(self, url: str) -> None:
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.page("Page.navigate", url=url)
        self._event("Page.loadEventFired")

    def eval(self, expression: str):
        result = self.page("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(expression)

    def type(self, selector: str, text: str) -> None:
        """Focus a field, clear it and type text into it as a person would (input events fire)."""
        self.eval(f"(function(e){{e.focus();e.value='';}})(document.querySelector({json.dumps(selector)}))")
        self.page("Input.insertText", text=text)

    def pdf(self) -> bytes:
        data = self.page("Page.printToPDF", preferCSSPageSize=True, printBackground=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out)
        os.close(self._in)
        shutil.rmtree(self.profile, ignore_errors=True)


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """The (width, height) in points of each page of a PDF Chromium printed."""
    import re

    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    return [(float(x2) - float(x1), float(y2) - float(y1)) for x1, y1, x2, y2 in boxes]

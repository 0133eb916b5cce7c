"""`bangfu serve`: the built site on 127.0.0.1, rebuilt when records, docs or the schema change, pages reloading."""

from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from pathlib import Path

from generator.errors import BangfuError
from generator.pipeline import build_site

RELOAD_PATH = "/__bangfu/build"
_RELOAD = (
    b"<script>(function(){var v=null;setInterval(function(){fetch('"
    + RELOAD_PATH.encode()
    + b"',{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v)location.reload();v=t})"
    b".catch(function(){})},1000)})();</script>"
)
WATCHED = ("records", "docs", "schema", "mkdocs.yml")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder by name on every request (so a swapped folder is served at once)."""

    state: dict = {}

    def do_GET(self):
        if self.path.split("?", 1)[0] == RELOAD_PATH:
            self._send(200, "text/plain", str(self.state.get("build", 0)).encode())
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            self._send(200, "text/html; charset=utf-8", path.read_bytes().replace(b"</body>", _RELOAD + b"</body>", 1))
            return
        super().do_GET()

    def _send(self, code: int, content_type: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    # Errors other than 404 (a POST, a bad request): a short Chinese page instead of Python's English one.
    error_message_format = (
        '<!doctype html><html lang="zh"><meta charset="utf-8"><title>出错了（%(code)d）</title>'
        '<h1>出错了（%(code)d）</h1><p>预览服务器无法处理这个请求。<a href="/">回到首页</a></p></html>'
    )
    error_content_type = "text/html; charset=utf-8"

    def send_error(self, code, message=None, explain=None):
        """A missing page gets the site's own 页面不存在 page (errors/404.html, as nginx serves it)."""
        page = Path(self.directory) / "errors" / "404.html"
        if code != 404 or not page.is_file() or self.command == "HEAD":
            super().send_error(code, message, explain)
            return
        self._send(404, "text/html; charset=utf-8", page.read_bytes())

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def serve_site(root: Path, out: Path, port: int, *, build_first: bool = True, echo=print) -> None:
    """Serve `out` on 127.0.0.1:port; rebuild on change until interrupted."""
    root, out = Path(root), Path(out)
    state = {"build": 0}
    if build_first:
        _build(root, out, state, echo)
    if not out.is_dir():
        raise BangfuError(f"输出目录 {out} 不存在：请先运行 bangfu build。")
    handler = type("Handler", (_Handler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(out.resolve())))
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(root, out, state, echo, stop), daemon=True)
    watcher.start()
    echo(f"预览地址：http://127.0.0.1:{port}/　（档案、手册或 schema 改动后自动重新生成；按 Ctrl+C 停止）")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        echo("已停止。")
    finally:
        stop.set()
        server.server_close()


def _build(root: Path, out: Path, state: dict, echo) -> None:
    try:
        result = build_site(root, out)
    except BangfuError as exc:
        echo(f"生成失败，继续显示上一次的站点：\n{exc.format_message()}")
        return
    state["build"] += 1
    echo(
        f"已生成：{result.households} 户，重新生成 {result.rendered} 户的页面，写入 {result.written} 个文件，"
        f"用时 {result.seconds:.1f} 秒。"
    )


def _snapshot(root: Path) -> dict[str, float]:
    """Modification times of everything a build reads (a province's records take a few hundredths of a second)."""
    seen: dict[str, float] = {}
    for name in WATCHED:
        top = root / name
        if top.is_file():
            seen[str(top)] = top.stat().st_mtime
            continue
        for folder, _, files in os.walk(top):
            seen[folder] = os.stat(folder).st_mtime
            for file in files:
                path = os.path.join(folder, file)
                try:
                    seen[path] = os.stat(path).st_mtime
                except OSError:
                    pass
    return seen


def _watch(root: Path, out: Path, state: dict, echo, stop: threading.Event) -> None:
    last = _snapshot(root)
    while not stop.wait(1.0):
        now = _snapshot(root)
        if now != last:
            time.sleep(0.3)  # let an editor finish saving
            last = _snapshot(root)
            echo("检测到改动，重新生成……")
            _build(root, out, state, echo)

"""A real Debian nginx on 127.0.0.1 serving a generated bangfu configuration, and HTTP helpers for the tests."""

from __future__ import annotations

import base64
import http.client
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

NGINX = "/usr/sbin/nginx"
HTPASSWD = "/usr/bin/htpasswd"
PASSWORD = "测试口令-not-secret"  # the tests' own throwaway password, written to a temp htpasswd only
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_access(
    root: Path,
    users: dict[str, list[tuple[str, list[str]]]],
    groups: dict | None = None,
    members: dict[str, list[str]] | None = None,
    disabled: tuple[str, ...] = (),
) -> None:
    """records/_settings/access.yaml under root: user → [(scope, roles)], group → [(scope, roles)]."""
    data: dict = {"说明": "测试用授权（虚构账号）。", "示例数据": "是", "用户": {}}
    for name, grants in users.items():
        entry: dict = {"姓名": f"测试账号{name}"}
        if grants:
            entry["授权"] = [{"范围": scope, "角色": list(roles)} for scope, roles in grants]
        if members and name in members:
            entry["组"] = list(members[name])
        if name in disabled:
            entry["停用"] = "是"
        data["用户"][name] = entry
    if groups:
        data["组"] = {
            name: {"说明": f"测试组{name}", "授权": [{"范围": s, "角色": list(r)} for s, r in grants]}
            for name, grants in groups.items()
        }
    settings = root / "records" / "_settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "records" / "_settings" / "roles.yaml", settings / "roles.yaml")
    (settings / "access.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_htpasswd(path: Path, users) -> Path:
    """A bcrypt htpasswd made by Debian's htpasswd -bB (as an administrator would, outside the repository)."""
    for i, user in enumerate(users):
        flags = "-bBc" if i == 0 else "-bB"
        subprocess.run([HTPASSWD, flags, "-C", "4", str(path), user, PASSWORD], check=True, capture_output=True)
    return path


# nginx's tokens: a comment (only where a token starts), a quoted string, a block or directive end, or a word
# (where ${name} may hold braces).
_TOKEN = re.compile(r"""#[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[;{}]|(?:\$\{[^}]*\}|[^\s;{}"'])+""")


def directives(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every directive of an nginx configuration in order, as (enclosing blocks, words); comments are dropped."""
    out, blocks, words = [], [], []
    for token in _TOKEN.findall(text):
        if token.startswith("#"):
            continue
        if token == ";":
            out.append((tuple(blocks), tuple(words)))
            words = []
        elif token == "{":
            out.append((tuple(blocks), (*words, "{")))
            blocks.append(" ".join(words))
            words = []
        elif token == "}":
            assert not words and blocks, "unbalanced configuration"
            blocks.pop()
        else:
            words.append(token)
    assert not words and not blocks, "unfinished configuration"
    return out


def write_pages(site: Path, paths: list[str]) -> Path:
    """A built site in miniature: the error pages and a small page at each path (a folder gets index.html)."""
    for rel in ["index.html", "errors/401.html", "errors/403.html", "errors/404.html", *paths]:
        path = site / (rel + "index.html" if rel.endswith("/") else rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body><p>{rel}</p></body></html>", encoding="utf-8")
    return site


class Nginx:
    """nginx -p <tmp> with a wrapper main configuration that includes the generated one; daemon off, our pid."""

    def __init__(self, prefix: Path, include: Path, port: int):
        self.prefix = prefix
        self.include = include
        self.port = port
        self.conf = prefix / "nginx.conf"
        self.error_log = prefix / "error.log"
        self.process: subprocess.Popen | None = None
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        temp = prefix / "tmp"
        user = "user root root;\n" if os.geteuid() == 0 else ""  # the test's temp folders are private to their owner
        self.conf.write_text(
            f"{user}worker_processes 1;\n"
            f"error_log {self.error_log} info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
            "  keepalive_requests 100000;\n"
            f"  include {include};\n"
            "}\n",
            encoding="utf-8",
        )

    def test_config(self) -> subprocess.CompletedProcess:
        """nginx -t on the wrapper (and so on the generated configuration)."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True)

    def _command(self, *options: str, daemon: bool = True) -> list[str]:
        """nginx with this prefix, error log and wrapper; in the foreground when daemon is False."""
        pid = f"pid {self.prefix}/nginx.pid;"
        return [
            NGINX,
            *options,
            "-p",
            f"{self.prefix}/",
            "-e",
            str(self.error_log),
            "-c",
            str(self.conf),
            "-g",
            pid if daemon else f"daemon off; {pid}",
        ]

    def start(self) -> Nginx:
        checked = self.test_config()
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            self._command(daemon=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read().decode()
                time.sleep(0.05)
        raise AssertionError("nginx did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()


@contextmanager
def serving(prefix: Path, config: Path, port: int) -> Iterator[int]:
    """A running nginx with this configuration on 127.0.0.1:port, stopped afterwards."""
    nginx = Nginx(prefix, config, port).start()
    try:
        yield port
    finally:
        nginx.stop()


class Client:
    """One keep-alive connection as one user (or anonymous), returning (status, headers, body)."""

    def __init__(
        self,
        port: int,
        user: str | None = None,
        password: str = PASSWORD,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.port = port
        self.headers = dict(headers or {})
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        if cookie is not None:
            self.headers["Cookie"] = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, body
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def status(self, path: str) -> int:
        return self.get(path)[0]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def fetch(port: int, path: str, user: str | None = None, password: str = PASSWORD, **options):
    """One request on its own connection: (status, headers, body)."""
    with Client(port, user, password, **options) as client:
        return client.get(path)


class SignOn:
    """A stand-in single sign-on endpoint in oauth2-proxy's shape: a cookie → 202 with user and groups, else 401."""

    def __init__(self, sessions: dict[str, tuple[str, str]]):
        self.sessions = sessions
        self.seen: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every request that reached it
        self.port = free_port()
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        sessions, seen = self.sessions, self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                cookie = self.headers.get("Cookie", "")
                token = cookie.split("sso=", 1)[1].split(";")[0] if "sso=" in cookie else ""  # "" : a standing session
                if self.path.startswith("/oauth2/auth") and token in sessions:
                    user, groups = sessions[token]
                    self.send_response(202)
                    self.send_header("X-Auth-Request-User", user)
                    if groups:
                        self.send_header("X-Auth-Request-Groups", groups)
                    self.end_headers()
                elif self.path.startswith("/oauth2/sign_in"):
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write("请登录（测试）".encode())
                else:
                    self.send_response(401)
                    self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> SignOn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

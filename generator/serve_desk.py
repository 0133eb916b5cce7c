"""`bangfu serve --with-desk` (`make demo`): what a union user would see, on this machine only.

The site behind a real nginx (the configuration `bangfu deploy-config` writes, basic authentication, every sample user
with one demo password) and the caseworker's desk at /desk/ under gunicorn on a unix socket. The desk works on its own
copy of the archive in a demo work folder (default .demo/, never committed): a clone of this repository's main with
one demo commit that registers the desk's signing key (made with ssh-keygen) as 签名合并方 and lets the sample
reviewers of reviewers.yaml log in. Approving in the desk merges into the copy and publishes into the served site.
This repository itself is never changed.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator import gitrun
from generator.access.nginx import DeployOptions, deploy_config
from generator.access.reviewers import load_reviewers
from generator.access.users import load_access
from generator.clock import today
from generator.desk.identity import EDITOR, REVIEWER
from generator.desk.unit import Unit
from generator.errors import BangfuError
from generator.pipeline import build_site
from generator.rules.regions import regions

DEMO_PASSWORD = "demo"  # every sample user's password in the demo; written to the work folder's htpasswd only
DESK = ("演示编辑台", "desk@demo.bangfu.invalid")  # the desk as 签名合并方 in the copy's reviewers.yaml
AUTHOR = ("bangfu 演示", "demo@demo.bangfu.invalid")  # who makes the demo commit in the copy
ACCESS = Path("records/_settings/access.yaml")
REVIEWERS = Path("records/_settings/reviewers.yaml")
# Paths that end up in nginx's configuration or systemd's unit: nothing nginx or a shell would read specially.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._/-]+")
_PACKAGES = {"nginx": "nginx", "htpasswd": "apache2-utils", "ssh-keygen": "openssh-client", "git": "git"}
_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


def tools() -> dict[str, str | None]:
    """The programs the demo runs, where they are (None when missing)."""
    found = {name: shutil.which(name) for name in ("nginx", "htpasswd", "ssh-keygen", "git")}
    if found["nginx"] is None and os.access("/usr/sbin/nginx", os.X_OK):  # /usr/sbin is not on a user's PATH
        found["nginx"] = "/usr/sbin/nginx"
    return found


@dataclass
class Demo:
    """The demo's work folder and what lives in it."""

    root: Path  # this repository (read only)
    work: Path  # the demo's own folder
    port: int
    archive: Path = field(init=False)  # the desk's copy of the archive
    site: Path = field(init=False)  # the site nginx serves and the desk publishes into
    key: Path = field(init=False)
    htpasswd: Path = field(init=False)
    secret: Path = field(init=False)
    nginx_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.work = self.work.absolute()
        self.archive = self.work / "archive"
        self.site = self.work / "site"
        self.key = self.work / "desk_ed25519"
        self.htpasswd = self.work / "htpasswd"
        self.secret = self.work / "desk.secret"
        self.nginx_dir = self.work / "nginx"


def serve_with_desk(root: Path, work: Path, port: int, *, out: Path, fresh: bool = False, echo=print) -> None:
    """Prepare the work folder, start gunicorn and nginx, wait for Ctrl+C (or SIGTERM), stop both."""
    found = tools()
    missing = [name for name, path in found.items() if path is None]
    if missing:
        packages = "、".join(f"{name}（Debian 软件包 {_PACKAGES[name]}）" for name in missing)
        echo(
            f"编辑台的演示需要 {packages}，本机没有（`make test` 或 `bash .ci/system-packages` 会安装）。"
            "现在只预览站点（没有登录和编辑台）。"
        )

        from generator.serve import serve_site

        serve_site(root, out, port, echo=echo)
        return
    demo = Demo(Path(root), Path(work), port)
    _check_paths(demo)
    _check_port(port)
    prepare(demo, fresh=fresh, echo=echo)
    with _Stack(demo, found["nginx"]) as stack:
        echo(welcome(demo))
        stack.wait()
    echo("已停止（nginx 和编辑台都已退出）。")


def prepare(demo: Demo, *, fresh: bool = False, echo=print) -> None:
    """The copy of the archive (made or reused), the desk's key registered in it, the site, htpasswd, nginx's conf."""
    demo.work.mkdir(parents=True, exist_ok=True)
    (demo.work / ".gitignore").write_text("# bangfu serve --with-desk 的演示数据，不进 git\n*\n", encoding="utf-8")
    if fresh or not demo.key.exists():
        shutil.rmtree(demo.archive, ignore_errors=True)  # a new key: start from a fresh copy that registers it
    if not demo.key.exists():
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", DESK[1], "-f", str(demo.key)], "生成编辑台的签名密钥")
    if not (demo.archive / ".git").exists():
        echo(f"复制档案库到 {demo.archive}（演示用的副本，编辑台只改它）……")
        _clone(demo.root, demo.archive)
        _register(demo)
    else:
        echo(f"沿用上次的演示副本 {demo.archive}（其中批准过的修改都保留；要从头开始：make demo FRESH=1，或加 --fresh）。")
    if not demo.secret.exists():
        demo.secret.write_text(secrets.token_hex(32), encoding="utf-8")
        demo.secret.chmod(0o600)
    echo("生成站点……")
    result = build_site(demo.archive, demo.site)
    echo(f"已生成站点：{result.households} 户，用时 {result.seconds:.1f} 秒。")
    _write_htpasswd(demo)


def _check_paths(demo: Demo) -> None:
    if not _PLAIN_PATH.fullmatch(str(demo.work)):
        raise BangfuError(
            f"演示目录 {demo.work} 的路径中有空格、汉字或 nginx 会另作解释的字符："
            "请用 --work 指定一个只含字母、数字和 . _ - / 的目录（例如 /tmp/bangfu-demo）。"
        )


def _check_port(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise BangfuError(f"端口 {port} 已被占用（也许演示已经在运行）：请先停止它，或用 --port 换一个端口。") from None


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode:
        raise BangfuError(f"{what}失败（{args[0]} 退出码 {done.returncode}）：{done.stderr.strip()}")


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = gitrun.run(*args, cwd=cwd, env=env, text=True)
    if done.returncode:
        raise BangfuError(f"复制档案库时 git {args[0]} 失败：{done.stderr.strip()}")
    return done.stdout.strip()


def _clone(root: Path, archive: Path) -> None:
    """The repository's current commit as main of a new repository (no remote, no other branch)."""
    done = gitrun.run("rev-parse", "--verify", "HEAD^{commit}", cwd=root, text=True)
    if done.returncode:
        raise BangfuError(f"{root} 不是 git 仓库（或还没有提交）：编辑台的演示要从它复制一份档案库。")
    head = done.stdout.strip()
    shutil.rmtree(archive, ignore_errors=True)
    archive.mkdir(parents=True)
    _git("init", "-q", "--initial-branch=main", ".", cwd=archive)
    _git("fetch", "-q", "--no-tags", str(root.absolute()), "HEAD", cwd=archive)
    _git("update-ref", "refs/heads/main", head, cwd=archive)
    _git("reset", "-q", "--hard", "refs/heads/main", cwd=archive)


def _register(demo: Demo) -> None:
    """One demo commit in the copy: the desk's key as 签名合并方, and the sample reviewers as users who may log in."""
    archive = demo.archive
    public = Path(f"{demo.key}.pub").read_text(encoding="utf-8").split()
    since = today().isoformat()
    entry = (
        f"  - 名称: {DESK[0]}\n    邮箱: {DESK[1]}\n    账号: desk\n    公钥:\n"
        f'      - 公钥: "{public[0]} {public[1]}"\n        生效日期: "{since}"\n'
    )
    path = archive / REVIEWERS
    text = path.read_text(encoding="utf-8")
    if re.search(r"(?m)^签名合并方:\s*$", text):
        text = re.sub(r"(?m)^签名合并方:\s*\n", lambda m: m.group(0) + entry, text, count=1)
    else:
        note = "# 演示：编辑台的签名密钥（bangfu serve --with-desk 生成，只在演示副本中）"
        text = text.rstrip("\n") + f"\n{note}\n签名合并方:\n" + entry
    path.write_text(text, encoding="utf-8")
    _add_reviewer_users(archive)
    load_reviewers(archive)  # the copy must still read (a broken file raises with file and line)
    load_access(archive)
    env = {
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
    }
    message = "Demo: register the desk's signing key and let the sample reviewers log in\n\nOnly in the demo copy."
    _git("-c", "commit.gpgsign=false", "commit", "-q", "-m", message, "--", str(REVIEWERS), str(ACCESS), cwd=archive, env=env)


def _add_reviewer_users(archive: Path) -> None:
    """Each account of reviewers.yaml that access.yaml lacks becomes a user with 审核人 over the reviewer's regions."""
    access = load_access(archive)
    wanted: dict[str, tuple[str, list[str]]] = {}
    for reviewer in load_reviewers(archive).items:
        for account in reviewer.accounts or ((reviewer.account,) if reviewer.account else ()):
            if account in access.users or not _ACCOUNT.fullmatch(account):
                continue
            name, scopes = wanted.setdefault(account, (reviewer.name, []))
            if reviewer.region not in scopes:
                scopes.append(reviewer.region)
    if not wanted:
        return
    lines = ["  # 演示：reviewers.yaml 中的示例审核人，在编辑台审批（bangfu serve --with-desk 加入，只在演示副本中）"]
    for account, (name, scopes) in wanted.items():
        lines += [f"  {account}:", f"    姓名: {json.dumps(name, ensure_ascii=False)}", "    授权:"]
        lines += [f'      - 范围: "{scope}"\n        角色: [{REVIEWER}]' for scope in scopes]
    block = "\n".join(lines) + "\n"
    path = archive / ACCESS
    text = path.read_text(encoding="utf-8")
    groups = re.search(r"(?m)^组:", text)
    text = text[: groups.start()] + block + text[groups.start() :] if groups else text.rstrip("\n") + "\n" + block
    path.write_text(text, encoding="utf-8")


def _write_htpasswd(demo: Demo) -> None:
    """Every user of the copy's access.yaml with the demo password (bcrypt, by htpasswd as an administrator would)."""
    users = [name for name, user in load_access(demo.archive).users.items() if not user.disabled]
    scratch = demo.htpasswd.with_name("htpasswd.new")
    scratch.unlink(missing_ok=True)
    for i, user in enumerate(users):
        flags = "-bBc" if i == 0 else "-bB"
        _run(["htpasswd", flags, "-C", "5", str(scratch), user, DEMO_PASSWORD], "写演示密码文件")
    scratch.replace(demo.htpasswd)


def users_table(archive: Path) -> list[str]:
    """One line per sample user: login, title, scopes and roles, and whether the desk lets them edit or approve."""
    access = load_access(archive)
    reviewers = load_reviewers(archive)
    table = regions()
    lines = []
    for login, user in access.users.items():
        if user.disabled:
            lines.append(_shown(f"  {login}（{user.title}）：已停用，不能登录"))
            continue
        grants = access.grants_of_user(login)
        scopes = "；".join(f"{table.name(g.scope)}（{g.scope}）{'、'.join(g.roles)}" for g in grants)
        email = next((r.email for r in reviewers.items if login in r.accounts), None)
        desk = []
        if any(EDITOR in g.roles for g in grants):
            desk.append("在编辑台修改、提交")
        if email and any(REVIEWER in g.roles and reviewers.authorised(email, g.scope) for g in grants):
            desk.append("在编辑台批准")
        suffix = f"——{'、'.join(desk)}" if desk else ""
        lines.append(_shown(f"  {login}（{user.title}）：{scopes}{suffix}"))
    return lines


def _shown(text: str) -> str:
    """A line for the terminal: control characters from access.yaml shown as escapes, never acted on."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _example(archive: Path) -> list[str]:
    """The walk-through docs/desk.md describes, when the sample users it names are there."""
    users = load_access(archive).users
    if "xy-demo" in users and "reviewer-460105" in users:
        return ["例如用 xy-demo 修改秀英区的一户并提交审核，再用 reviewer-460105 批准：批准后站点在后台重新生成。"]
    return []


def welcome(demo: Demo) -> str:
    base = f"http://127.0.0.1:{demo.port}"
    return "\n".join(
        [
            f"演示站点：{base}/　　编辑台：{base}/desk/　　（只监听本机 127.0.0.1）",
            f"以下示例账号的密码都是：{DEMO_PASSWORD}",
            *users_table(demo.archive),
            *_example(demo.archive),
            f"演示数据都在 {demo.work}（档案库的副本、站点、密码文件、日志 desk.log），不是本仓库。",
            "按 Ctrl+C 停止。",
        ]
    )


def _die_with_parent():
    """What the child runs before exec (Linux): SIGTERM should the demo itself die without stopping it. The libc
    function is looked up here, in the parent: a child of a process with threads may only call what is at hand."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _nginx_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Stack:
    """gunicorn (the desk) and nginx in front of it, stopped (nginx first) however the block is left."""

    def __init__(self, demo: Demo, nginx: str):
        self.demo = demo
        self.nginx_path = nginx
        self.run_dir = Path(tempfile.mkdtemp(prefix="bangfu-desk-"))  # short: a unix socket's path is at most 107 bytes
        self.socket = self.run_dir / "desk.sock"
        self.log = demo.work / "desk.log"
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _Stack:
        # Ctrl+C, kill and a closed terminal all stop the demo in order, even where the shell started it ignoring SIGINT.
        self._previous = {signum: signal.signal(signum, _interrupt) for signum in _STOP_SIGNALS}
        try:
            self._start_desk()
            self._start_nginx()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc) -> bool:
        self._stop()
        return exc[0] is KeyboardInterrupt  # Ctrl+C (or SIGTERM) is how the demo is meant to end

    def wait(self) -> None:
        while True:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise BangfuError(f"{name} 意外退出（退出码 {process.returncode}），演示停止。日志见 {self._log_of(name)}。")
            time.sleep(0.5)

    def _log_of(self, name: str) -> Path:
        return self.log if name == "编辑台" else self.demo.nginx_dir / "error.log"

    def _start_desk(self) -> None:
        demo = self.demo
        unit = Unit(demo.archive, demo.key, DESK[1], demo.secret, self.socket, python=Path(sys.executable), site=demo.site)
        env = {**os.environ, **unit.environment()}
        # Each server in a session of its own: the terminal's Ctrl+C reaches the demo only, which stops them in order.
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                unit.command(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        self.processes.append(("编辑台", process))
        deadline = time.monotonic() + 60
        while not self.socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise BangfuError(f"编辑台（gunicorn）没有启动，日志 {self.log} 的最后几行：\n{tail}")
            time.sleep(0.1)

    def _start_nginx(self) -> None:
        demo, folder = self.demo, self.demo.nginx_dir
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        include = folder / "bangfu.conf"
        deploy_config(
            DeployOptions(
                site=demo.site,
                out=include,
                root=demo.archive,
                htpasswd=demo.htpasswd,
                listen=f"127.0.0.1:{demo.port}",
                access_log=folder / "access.log",
                desk_socket=self.socket,
            )
        )
        temp = folder / "tmp"
        conf = folder / "nginx.conf"
        user = "user root root;\n" if os.geteuid() == 0 else ""  # as root, workers would otherwise be nobody
        conf.write_text(
            "# bangfu serve --with-desk：演示用的 nginx 主配置，包含 deploy-config 生成的 bangfu.conf。\n"
            f"{user}worker_processes 1;\n"
            f"error_log {_nginx_string(str(folder / 'error.log'))} info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            + "".join(
                f"  {name}_temp_path {_nginx_string(str(temp / name))};\n"
                for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {_nginx_string(str(include))};\n"
            "}\n",
            encoding="utf-8",
        )
        command = [
            self.nginx_path,
            "-p",
            f"{folder}/",
            "-e",
            str(folder / "error.log"),
            "-c",
            str(conf),
            "-g",
            f"pid {folder}/nginx.pid;",
        ]
        checked = subprocess.run([*command[:1], "-t", *command[1:]], capture_output=True, text=True, check=False)
        if checked.returncode:
            raise BangfuError(f"nginx 不接受生成的配置 {conf}：\n{checked.stderr.strip()}")
        command[-1] = f"daemon off; {command[-1]}"
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        self.processes.append(("nginx", process))
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", demo.port), timeout=0.2).close()
                return
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BangfuError(f"nginx 没有在 127.0.0.1:{demo.port} 上启动，见 {folder / 'error.log'}。") from None
                time.sleep(0.1)

    def _stop(self) -> None:
        for signum in _STOP_SIGNALS:  # a second Ctrl+C must not cut the stopping short
            signal.signal(signum, signal.SIG_IGN)
        # nginx first (nobody reaches the desk while it stops). SIGINT is the quick stop of both nginx and gunicorn;
        # it goes to the whole process group, so gunicorn's workers and a site build the desk started stop too.
        for _, process in reversed(self.processes):
            _signal_group(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            deadline = time.monotonic() + 5
            while _signal_group(process.pid, 0) and time.monotonic() < deadline:
                time.sleep(0.1)
            _signal_group(process.pid, signal.SIGKILL)  # whatever of the group is still there
        self.processes.clear()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _signal_group(group: int, signum: int) -> bool:
    """Signal a process group the demo started (its leader's pid is its id); False when none of it is left."""
    try:
        os.killpg(group, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False

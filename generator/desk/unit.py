"""The desk under its production server: gunicorn's command line and the systemd unit that runs it."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from generator.desk.publishing import FORGE
from generator.errors import Problem, UsageError

APP = "generator.desk.app:create_app()"
_PATH = re.compile(r"/[A-Za-z0-9._/-]+")  # nothing systemd or a shell would read specially: no space, %, $, quote
_EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+")
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Unit:
    root: Path
    key: Path
    merger: str
    secret: Path
    socket: Path = Path("/run/bangfu/desk.sock")
    account: str = "bangfu-desk"
    python: Path = Path(sys.executable)
    workers: int = 2
    https: bool = False
    site: Path | None = None  # the site folder the desk publishes into after each approval
    forge: str | None = None  # the remote main is pushed to after each approval

    def check(self) -> None:
        problems = []
        for name, value in (
            ("--root", self.root),
            ("--key", self.key),
            ("--secret-file", self.secret),
            ("--socket", self.socket),
            ("--python", self.python),
        ):
            if not _PATH.fullmatch(str(value)):
                problems.append(f"{name} 应为绝对路径，只含字母、数字和 . _ - /，而不是“{_visible(value)}”。")
        if self.site is not None and (not _PATH.fullmatch(str(self.site)) or self.site.parent == self.site):
            problems.append(f"--site 应为绝对路径，只含字母、数字和 . _ - /，而不是“{_visible(self.site)}”。")
        if self.forge is not None and not FORGE.fullmatch(self.forge):
            shown = _visible(self.forge)
            problems.append(f"--forge 应为远程仓库的地址（如 git@forge.example:union/archive.git）或绝对路径，而不是“{shown}”。")
        if not _EMAIL.fullmatch(self.merger):
            problems.append(f"--merger 应为编辑台在 reviewers.yaml“签名合并方”中登记的邮箱，而不是“{_visible(self.merger)}”。")
        if not _ACCOUNT.fullmatch(self.account):
            problems.append(f"--account 应为系统账号名，而不是“{_visible(self.account)}”。")
        if not 1 <= self.workers <= 16:
            problems.append(f"--workers 应在 1 到 16 之间，而不是 {self.workers}。")
        if problems:
            raise UsageError(
                "无法生成编辑台的 systemd 单元。", [Problem("desk unit", None, "", "", "desk-option", p) for p in problems]
            )

    def command(self) -> list[str]:
        """gunicorn on the unix socket only (0660: the desk's account and group, which nginx's user joins)."""
        return [
            str(self.python),
            "-m",
            "gunicorn",
            "--bind",
            f"unix:{self.socket}",
            "--umask",
            "0o007",
            "--workers",
            str(self.workers),
            "--header-map",
            "drop",
            "--limit-request-field_size",
            "8190",
            "--access-logfile",
            "-",
            # gunicorn 25+ opens a control socket (worker counts, reload, shutdown) at a per-user default path
            # shared by every gunicorn of that account: the desk needs none, so no such socket exists to reach.
            "--no-control-socket",
            APP,
        ]

    def environment(self) -> dict[str, str]:
        return {
            "BANGFU_DESK_ROOT": str(self.root),
            "BANGFU_DESK_KEY": str(self.key),
            "BANGFU_DESK_MERGER": self.merger,
            "BANGFU_DESK_SECRET_FILE": str(self.secret),
            "BANGFU_DESK_HTTPS": "1" if self.https else "0",
            **({"BANGFU_DESK_SITE": str(self.site)} if self.site else {}),
            **({"BANGFU_DESK_FORGE": self.forge} if self.forge else {}),
        }

    def text(self) -> str:
        self.check()
        command = " ".join(f'"{part}"' if "(" in part else part for part in self.command())
        env = "".join(f"Environment={k}={v}\n" for k, v in self.environment().items())
        return (
            "# 由 bangfu desk unit 生成：编辑台（gunicorn，只监听 unix 套接字）。说明见 docs/desk.md。\n"
            "# 放到 /etc/systemd/system/bangfu-desk.service；nginx 的用户须加入同名组：\n"
            f"#   usermod -aG {self.account} www-data && systemctl daemon-reload && systemctl enable --now bangfu-desk\n"
            "[Unit]\nDescription=bangfu 编辑台（帮扶档案）\nAfter=network.target\n\n"
            f"[Service]\nUser={self.account}\nGroup={self.account}\n"
            f"RuntimeDirectory={self.socket.parent.name}\nRuntimeDirectoryMode=0750\nUMask=0007\n{env}"
            f"ExecStart={command}\nRestart=on-failure\nNoNewPrivileges=yes\nProtectSystem=strict\nProtectHome=yes\n"
            f"PrivateTmp=yes\nReadWritePaths={' '.join(self._writes())}\n\n[Install]\nWantedBy=multi-user.target\n"
        )

    def _writes(self) -> list[str]:
        """The archive, and the folder holding the site (a build swaps the site with its spare beside it)."""
        return [str(self.root)] + ([str(self.site.parent)] if self.site else [])


def _visible(value) -> str:
    """The value as typed, with control characters (a newline would start a line of its own) shown as escapes."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", str(value))

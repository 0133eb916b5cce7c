"""The problems a run collects and the few exceptions the library raises."""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass

import click

ERROR = "error"
WARNING = "warning"


_OS_REASONS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有读写权限",
    errno.EPERM: "没有读写权限",
    errno.EISDIR: "是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "所在的磁盘只读",
    errno.ENAMETOOLONG: "文件名太长",
    errno.ELOOP: "符号链接循环",
}


def os_reason(exc: OSError) -> str:
    """The operating system's reason in Chinese (its own strerror is English)."""
    return _OS_REASONS.get(exc.errno, f"系统错误 {exc.errno}" if exc.errno else str(exc))


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one file, in the user's words."""

    path: str
    line: int | None
    pointer: str = ""
    field: str = ""
    code: str = ""
    message: str = ""
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = f" {self.field}:" if self.field else ""
        mark = "" if self.is_error else "（警告）"
        return f"{where}:{label} {mark}{self.message}"


class BangfuError(click.ClickException):
    """Base error: the CLI prints its Chinese message and exits 1, never a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []

    def format_message(self) -> str:
        lines = [self.message] + [p.to_text() for p in self.problems]
        return "\n".join(lines)

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


class RecordError(BangfuError):
    """A record (or a settings file) cannot be read or is invalid."""


class HistoryError(BangfuError):
    """The git history cannot be read or is not what the archive expects."""


class BuildError(BangfuError):
    """The site could not be built; the previous output is left as it was."""


class UsageError(BangfuError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2

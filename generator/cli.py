"""The `bangfu` command: a thin layer over the library, in Chinese."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from generator import __version__, clitext
from generator.errors import BangfuError, os_reason

# Each module under generator/commands/ defines click commands and lists them in COMMANDS. A module is
# imported only when one of its commands runs: `bangfu validate` must not pay for openpyxl, mkdocs or git.
COMMAND_MODULES = {
    "validate": "validate",
    "explain": "rules",
    "impact": "impact",
    "demo": "demo",
    "build": "site",
    "serve": "site",
    "history": "history",
    "review": "history",
    "audit": "history",
    "hook": "history",
    "codeowners": "history",
    "deploy-config": "access",
    "access-list": "access",
    "new": "workflow",
    "notice": "workflow",
    "verify": "workflow",
    "sample": "workflow",
    "fmt": "workflow",
    "import-xlsx": "workflow",
    "export-xlsx": "workflow",
    "desk": "desk",
}

clitext.install()  # before any command module declares its options: click.Path() names itself through gettext


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(
            prog, args.replace("[OPTIONS]", "[选项]").replace("COMMAND", "命令").replace("[ARGS]...", "[参数]..."), "用法："
        )

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")  # click's heading, already through gettext

    def write_text(self, text: str) -> None:
        """click.HelpFormatter.write_text in display columns; Chinese lines rejoin without a space between them."""
        indent = " " * self.current_indent
        for paragraph in clitext.paragraphs(text):
            if isinstance(paragraph, list):  # a \b block: as written
                lines = paragraph
            else:
                lines = clitext.wrap(paragraph, max(self.width - self.current_indent, 20))
            self.write("".join(f"{indent}{line}\n" if line else "\n" for line in lines))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        """click.HelpFormatter.write_dl measured in display columns: a Chinese character takes two."""
        rows = list(rows)
        first_col = min(max((clitext.width(term) for term, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in rows:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if clitext.width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - clitext.width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = clitext.wrap(text, max(self.width - first_col - self.current_indent, 10)) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{indent}{' ' * first_col}{line}\n")


class _Context(click.Context):
    formatter_class = _Formatter


class BangfuCommand(click.Command):
    """A command whose help and errors are in Chinese."""

    context_class = _Context

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option


class BangfuGroup(BangfuCommand, click.Group):
    command_class = BangfuCommand

    def list_commands(self, ctx) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in COMMAND_MODULES:
            _register(COMMAND_MODULES[name])
        return self.commands.get(name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run with Chinese messages and exit codes 0 / 1 / 2, never a traceback."""
        try:
            code = super().main(args=args, prog_name=prog_name or "bangfu", standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=False)
            sys.exit(0)
        except click.UsageError as exc:
            hint = f"\n运行 {exc.ctx.command_path} --help 查看用法。" if exc.ctx else ""
            click.echo(f"用法错误：{exc.format_message()}{hint}", err=True)
            sys.exit(2)
        except BangfuError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("已取消。", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"错误：无法读写 {exc.filename or ''}：{os_reason(exc)}", err=True)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, never a traceback
            if os.environ.get("BANGFU_DEBUG"):
                raise
            click.echo(
                f"内部错误（{type(exc).__name__}: {exc}）。这是程序的缺陷，不是档案的问题；"
                "请把这条信息和所用命令报告给维护人员（设置 BANGFU_DEBUG=1 可看到详细信息）。",
                err=True,
            )
            sys.exit(3)
        sys.exit(code if isinstance(code, int) else 0)


class _SubGroup(BangfuCommand, click.Group):
    command_class = BangfuCommand


@click.group(cls=BangfuGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", message="bangfu %(version)s", help="显示版本并退出。")
def cli() -> None:
    """帮扶：困难职工档案的校验、审阅和内网站点生成。

    \b
    常用：
      bangfu validate                 校验 records/ 下全部档案
      bangfu explain records/460105/4601050001.yaml   查看困难类别的认定过程
      bangfu build && bangfu serve    生成并在本机预览站点
    """


def _register(module_name: str) -> None:
    module = importlib.import_module(f"generator.commands.{module_name}")
    for command in module.COMMANDS:
        _chinese(command)
        cli.add_command(command)


SETTINGS_DIR = ("records", "_settings")


def find_root(start: Path) -> Path | None:
    """The archive that holds `start`: the nearest folder at or above it with records/_settings/ (as git finds .git)."""
    for folder in (start, *start.parents):
        if folder.joinpath(*SETTINGS_DIR).is_dir():
            return folder
    return None


def _root_from_cwd(ctx: click.Context, param: click.Parameter, value):
    """--root not given: the archive around the current folder, so `cd records/460105 && bangfu validate x.yaml` works."""
    if ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT or value is None:
        return value
    here = Path.cwd()
    found = find_root(here)
    if found is None or found == here:
        return value
    return Path(os.path.relpath(found, here))


def _chinese(command: click.Command) -> None:
    """Give a command (and a group's subcommands) the Chinese help and errors; --root defaults to the archive around."""
    if type(command) is click.Command:
        command.__class__ = BangfuCommand
    elif type(command) is click.Group:
        command.__class__ = _SubGroup
    for param in command.params:
        if param.name == "root" and param.callback is None:
            param.callback = _root_from_cwd
    for sub in getattr(command, "commands", {}).values():
        _chinese(sub)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv, prog_name="bangfu")

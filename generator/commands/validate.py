"""`bangfu validate`."""

from __future__ import annotations

from pathlib import Path

import click

from generator.errors import UsageError
from generator.validation import report
from generator.validation.validate import validate_paths


@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[路径]...", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@click.option("--strict", is_flag=True, help="有警告也算不通过（退出码 1）。")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="档案库根目录（含 records/）。")
@click.option("--no-cache", is_flag=True, help="不使用也不更新校验缓存。")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, root: Path, no_cache: bool) -> None:
    """校验档案：收集全部问题后一次报告。

    不给路径时校验 records/ 下全部档案；可以给出文件或目录。
    每个问题一行：文件:行号: 字段: 说明。退出码：0 通过，1 有错误（--strict 时警告也算），2 用法错误。

    \b
    例：
      bangfu validate
      bangfu validate records/460105/4601050001.yaml --format json
    """
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"路径不存在：{'、'.join(missing)}")
    checked, problems = validate_paths(root, list(paths), use_cache=not no_cache)
    click.echo(report.as_json(problems) if fmt == "json" else report.as_text(problems, checked))
    failed = any(p.is_error for p in problems) or (strict and problems)
    raise SystemExit(1 if failed else 0)


COMMANDS = [validate]

"""`bangfu explain`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from generator.clock import today
from generator.errors import UsageError
from generator.rules.explain import explain_file


@click.command("explain")
@click.argument("record", metavar="档案文件", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="档案库根目录（含 records/）。")
def explain(record: Path, fmt: str, root: Path) -> None:
    """逐步说明一户的困难类别是怎样认定的。

    \b
    列出评估日期，所用的低保标准、边缘倍数和最低工资标准（来自哪个地区、哪天起施行），
    家庭年度总收入、推算收入和家庭月人均收入的算式，按《实施方案》五（一）得出的困难类别，
    以及它与档案中填报的困难类别是否一致。--format json 输出同样的步骤和结论。

    \b
    例：
      bangfu explain records/460105/4601050001.yaml
      bangfu explain records/460105/4601050001.yaml --format json
    """
    if not record.is_file():
        raise UsageError(f"档案文件不存在：{record}")
    result = explain_file(record, root, today())
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.to_text())


COMMANDS = [explain]

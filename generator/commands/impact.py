"""`bangfu impact`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from generator.clock import today
from generator.history.impact import impact_of
from generator.history.impact_report import to_csv, to_json, to_markdown, to_text
from generator.progress import Progress

FORMATS = {"text": to_text, "markdown": to_markdown, "json": to_json}


def _date(ctx, param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}”不是有效日期，应写作 YYYY-MM-DD，例如 2027-01-01。") from None


@click.command("impact")
@click.argument("spec", metavar="[修订范围]", required=False)
@click.option(
    "--standards",
    "proposed",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="文件",
    help="拟施行的完整标准文件（与 records/_settings/standards.yaml 格式相同），与档案库现行标准比较。",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="地区:项目=数值@日期",
    help="拟调整的单项标准，可重复，如 --set 4601:城市低保标准=650@2027-01-01。",
)
@click.option("--date", "day", metavar="YYYY-MM-DD", callback=_date, help="评估日期；默认取有变化的标准中最早的生效日期。")
@click.option("--scope", metavar="代码", help="只看这个省、市或县（市、区）。")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "csv"]),
    default="text",
    show_default=True,
    help="输出格式：markdown 遮蔽姓名和身份证号，可贴到合并请求；json、csv 供分析。",
)
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="档案库根目录（含 records/）。")
def impact(
    spec: str | None, proposed: Path | None, sets: tuple[str, ...], day: dt.date | None, scope: str | None, fmt: str, root: Path
) -> None:
    """标准调整的影响：批准新标准之前，看清谁新符合条件、谁不再符合、谁换了类别。

    \b
    在档的每一户（状态不是已解困脱困、已注销）按同一天、调整前后两套标准各认定一次，
    按省 → 市 → 县列出新符合、不再符合、类别变化的户数和人数，再列出各户的家庭月人均收入、
    调整前后的低保标准和边缘上限，以及决定类别的那一步认定过程（与 bangfu explain 相同）；
    月人均收入在某条线上下 5% 以内的户另列为“临界”。
    评估日期不早于所给日期的户按其评估日期认定（合并后 validate 即如此），其余按所给日期复核计。

    \b
    比较的两套标准：
      修订范围 BASE..HEAD  两个版本的 standards.yaml（分支修改了标准文件时）
      --standards 文件     现行标准与拟施行的标准文件
      --set ...            现行标准加上单项调整（也可加在前两种之上）

    \b
    例：
      bangfu impact main..调整标准
      bangfu impact --set 4601:城市低保标准=650@2027-01-01
      bangfu impact --set 46:最低工资标准=1800@2027-01-01 --scope 4601 --format csv > 影响.csv
      bangfu impact --standards 拟调整标准.yaml --date 2027-07-01 --format markdown
    """
    with Progress() as progress:
        progress.step("按现行标准和调整后的标准逐户认定")
        result = impact_of(root, spec=spec, proposed=proposed, sets=sets, day=day, scope=scope, today=today())
    if fmt == "csv":
        sys.stdout.buffer.write(to_csv(result))
        sys.stdout.flush()
        return
    click.echo(FORMATS[fmt](result), nl=False)


COMMANDS = [impact]

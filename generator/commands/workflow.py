"""`bangfu new / notice / verify / sample / fmt / import-xlsx / export-xlsx`: the union's working cycle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from generator.access.privacy import mask_name
from generator.clock import today
from generator.editing.fmt import format_records
from generator.editing.new import new_record
from generator.editing.notice import record_notice
from generator.editing.sample import draw_sample, record_spot_checks
from generator.editing.verify import due_for, outcomes_from, parse_outcome, record_outcomes, worklist
from generator.editing.xlsx import LAYOUTS, ROWS, export_archive, import_archive
from generator.errors import UsageError
from generator.progress import Progress
from generator.validation.lifecycle import CENTRE, EMPLOYER, NOTICE_MIN_DAYS, STATUSES, VILLAGE, review_deadline

ROOT = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="档案库根目录（含 records/）。"
)


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"“{value}”不是有效日期，应写作 YYYY-MM-DD，例如 2016-08-01。", param, ctx)


DATE = _Date()


@click.command("new")
@click.option("--region", required=True, metavar="县级代码", help="建档工会所在县（市、区）的 6 位代码，如 460105。")
@click.option("--name", metavar="姓名", help="困难职工姓名。")
@click.option("--id", "id_number", metavar="身份证号", help="18 位身份证号；出生日期和性别由它得出。")
@click.option("--by", metavar="建档人", help="建档人姓名。")
@click.option("--set", "values", multiple=True, metavar="栏目=值", help="再填一个栏目，可重复，如 --set 民族=汉族。")
@ROOT
def new(region: str, name: str | None, id_number: str | None, by: str | None, values: tuple[str, ...], root: Path) -> None:
    """新建一户档案：下一个空闲的职工编号，状态为调查中。

    \b
    文件写到 records/<县级代码>/<职工编号>.yaml，顶行是 schema 行，表上的必填栏目都已列出；
    没给出的栏目留空，命令会列出尚需填写的栏目。给出的值会先校验（身份证号校验位、一人一档等），
    有错则不建立任何文件。

    \b
    例：
      bangfu new --region 460105 --name 测试甲 --id 460100198003159015 --by 示例建档员
      bangfu new --region 460105 --set 民族=汉族 --set 家庭人口=3
    """
    given: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set “{item}”写法不对，应为 栏目=值，如 --set 民族=汉族。")
        given[key.strip()] = value
    for key, value in (("姓名", name), ("身份证号", id_number), ("建档人", by)):
        if value is not None:
            given[key] = value
    made = new_record(root, region, given)
    click.echo(f"已建立 {made.path}（职工编号 {made.number}，状态：调查中）。")
    if made.to_fill:
        click.echo(f"尚需填写 {len(made.to_fill)} 项：{'、'.join(made.to_fill)}。")
        click.echo(f"填好后运行：bangfu validate {made.path}")


@click.command("notice")
@click.option("--region", required=True, metavar="代码", help="公示范围：县、市或省的代码。")
@click.option("--start", required=True, type=DATE, help="公示开始日期。")
@click.option("--level", type=click.Choice([VILLAGE, EMPLOYER, CENTRE]), help="公示层级；不给时每户取下一个应做的公示。")
@click.option("--days", type=int, default=NOTICE_MIN_DAYS, show_default=True, help=f"公示天数，不少于 {NOTICE_MIN_DAYS} 天。")
@click.option("--place", metavar="地点", help="公示地点，记入档案。")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="公示名单的文件名（默认 公示名单/公示名单-<代码>-<日期>.html）。",
)
@ROOT
def notice(region: str, start: dt.date, level: str | None, days: int, place: str | None, out: Path | None, root: Path) -> None:
    """为可以公示的各户记录公示期，并生成可打印的公示名单。

    \b
    可以公示的户：状态为调查中或公示中、已有入户调查、还缺某一级公示。用人单位公示在先，
    帮扶中心公示须在其结束之后（农民工另有村委会公示）。每户的「公示」添上一项，状态改为公示中。
    公示名单（HTML，浏览器打印）只有职工编号、遮蔽的姓名、工作单位、困难类别、家庭人口和致困原因，
    没有身份证号。有一户出错则什么都不写。

    \b
    例：
      bangfu notice --region 460105 --start 2016-08-15 --place 示例机械厂公示栏
      bangfu notice --region 4601 --start 2016-08-23 --level 帮扶中心
    """
    result = record_notice(root, region, start, level=level, days=days, place=place, out=out)
    click.echo(f"已为 {len(result.listed)} 户记录公示期 {start.isoformat()} 至 {result.end.isoformat()}：")
    for path, lv, data in result.listed:
        click.echo(f"  {path} {mask_name(data.get('姓名', ''))}：{lv}公示")
    if result.left_out:
        click.echo(f"未列入 {len(result.left_out)} 户：")
        for path, reason in result.left_out:
            click.echo(f"  {path}：{reason}")
    click.echo(f"公示名单：{result.list_path}")


@click.command("verify")
@click.option("--year", required=True, type=int, help="核查年度。")
@click.option("--region", metavar="代码", help="只看这个县、市的档案。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="把待核查清单写成表格（.xlsx），供核查人填写。")
@click.option(
    "--record", "records", multiple=True, metavar="编号=结果[:原因]", help="记录核查结果，可重复：保留、解困脱困、注销:原因。"
)
@click.option("--date", type=DATE, help="核查日期（与 --record 同用）。")
@click.option("--by", metavar="核查人", help="核查人（与 --record 同用）。")
@click.option("--note", metavar="说明", help="说明，记入年度核查和退出。")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="从填好的核查表格记录结果。")
@ROOT
def verify(
    year: int,
    region: str | None,
    out: Path | None,
    records: tuple[str, ...],
    date: dt.date | None,
    by: str | None,
    note: str | None,
    source: Path | None,
    root: Path,
) -> None:
    """年度核查（每年 10 月 31 日前）：列出待核查的户和各户待核实的事项，并记录核查结果。

    \b
    待核查：状态为帮扶中、在该年度之前建档、还没有该年度核查记录的户。
    结果为解困脱困或注销的，状态随之改为已解困脱困或已注销，并填写「退出」（日期为核查日期）；
    档案不删除，进入脱困库或注销库。有一条出错则什么都不写。

    \b
    例：
      bangfu verify --year 2026
      bangfu verify --year 2026 --region 4601 --out 年度核查-2026.xlsx
      bangfu verify --year 2026 --date 2026-10-20 --by 示例核查员 --record 4601050001=保留 --record 4601050003=注销:死亡
      bangfu verify --year 2026 --from 年度核查-2026.xlsx
    """
    if records or source:
        if records and not (date and by):
            raise UsageError("用 --record 记录结果时须同时给出 --date 和 --by。")
        outcomes, problems = outcomes_from(source) if source else ([], [])
        outcomes += [parse_outcome(text, date, by, note) for text in records]
        result = record_outcomes(root, year, outcomes, source, problems)
        click.echo(f"已记入 {len(result.recorded)} 户的 {year} 年度核查结果：")
        for path in result.recorded:
            click.echo(f"  {path}")
        return
    now = today()
    if out is not None:
        with Progress() as progress:
            progress.step(f"查找 {year} 年度待核查的户并写出核查表")
            path, count = worklist(root, year, region, out, now)
        if path is None:
            click.echo(f"{year} 年度没有待核查的户{_within(region)}，未写出核查表。")
            return
        click.echo(f"已写出 {count} 户的核查表：{path}")
        return
    with Progress() as progress:
        progress.step(f"查找 {year} 年度待核查的户")
        due = due_for(root, year, region)
    deadline = review_deadline(year)
    left = (deadline - now).days
    when = f"还有 {left} 天" if left >= 0 else f"已逾期 {-left} 天"
    click.echo(f"{year} 年度核查（{deadline.isoformat()} 前，{when}）：待核查 {len(due)} 户。")
    if not due:
        click.echo(
            f"没有要核查的户{_within(region)}：待核查的是状态为帮扶中、{year} 年之前建档、还没有 {year} 年度核查记录的户。"
        )
    for item in due:
        data = item.record.data
        click.echo(f"  {item.record.path} {mask_name(data.get('姓名', ''))}：{'；'.join(item.lacks) or '无其他待核实事项'}")


def _within(region: str | None) -> str:
    return f"（{region} 范围内）" if region else ""


@click.command("sample")
@click.option("--region", metavar="代码", help="抽查范围：省 46、市如 4601 或县。")
@click.option("--percent", metavar="P", help="抽查比例（百分数），如 5。")
@click.option("--seed", metavar="S", help="随机种子；同一份档案、范围和种子总抽出同一批户。")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="抽查表的文件名（默认 抽查复核/抽查复核-<代码>-<种子>.xlsx）。"
)
@click.option(
    "--record",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="把填好的抽查表记入各户的「抽查复核」。",
)
@ROOT
def sample(region: str | None, percent: str | None, seed: str | None, out: Path | None, source: Path | None, root: Path) -> None:
    """省、市总工会抽查复核：按比例随机抽取帮扶中的档案，写成抽查表；填好后记入各户档案。

    \b
    抽取可复现：同一份档案、同一范围、比例和种子抽出同一批户，抽查表的“说明”页记着这些参数。
    抽查表的黄色列（日期、复核单位、复核人、结果、说明）由复核人填写，结果从下拉框选：属实、不属实、需整改。

    \b
    例：
      bangfu sample --region 4601 --percent 5 --seed 20261101
      bangfu sample --record 抽查复核/抽查复核-4601-20261101.xlsx
    """
    if source is not None:
        result = record_spot_checks(root, source)
        click.echo(
            f"已记入 {len(result.recorded)} 户的抽查复核结果"
            + (f"（{result.already} 户已记过，未重复记入）" if result.already else "")
            + "。"
        )
        for path in result.recorded:
            click.echo(f"  {path}")
        return
    if not (region and percent and seed):
        raise UsageError("抽样须给出 --region、--percent 和 --seed；记录结果用 --record 抽查表.xlsx。")
    try:
        share = Decimal(percent.rstrip("%"))
    except InvalidOperation:
        raise UsageError(f"--percent 应为数字，如 5（现为“{percent}”）。") from None
    result = draw_sample(root, region, share, seed, out)
    click.echo(f"从 {result.population} 户帮扶中的档案抽取 {len(result.chosen)} 户（{share}%，种子 {seed}）：")
    for path in result.chosen:
        click.echo(f"  {path}")
    click.echo(f"抽查表：{result.path}")


@click.command("fmt")
@click.argument("paths", nargs=-1, metavar="[路径]...", type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="只检查，不改文件；有不规范的文件时退出码为 1。")
@click.option("--drop-comments", is_flag=True, help="允许删去档案中的注释（默认遇到注释就不改）。")
@ROOT
def fmt(paths: tuple[Path, ...], check: bool, drop_comments: bool, root: Path) -> None:
    """把档案改写成规范格式：栏目按表上的顺序，作为文字的数字加引号，不改动任何值。

    \b
    不给路径时处理 records/ 下全部档案。每个文件改写前都核对改写后读出的值与原来完全一致；
    有文件读不了或带注释时，一个文件也不改。

    \b
    例：
      bangfu fmt
      bangfu fmt records/460105 --check
    """
    result = format_records(root, list(paths), check=check, drop_comments=drop_comments)
    verb = "需要改写" if check else "已改写"
    for path in result.changed:
        click.echo(f"  {path}")
    click.echo(f"{verb} {len(result.changed)} 个文件，{result.canonical} 个已是规范格式。")
    if check and result.changed:
        raise SystemExit(1)


@click.command("import-xlsx")
@click.argument("file", metavar="表格.xlsx", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--update", is_flag=True, help="允许用表格内容覆盖已有的档案。")
@ROOT
def import_xlsx(file: Path, update: bool, root: Path) -> None:
    """把填好的困难职工档案表（.xlsx）导入为档案。

    \b
    支持两种版式：全国工会帮扶系统的导出版式（工作表“困难职工”一行一户，家庭主要成员、公示、
    帮扶台账等各占一个工作表，以职工编号对应），以及一户一个工作表的档案表（栏目 | 内容）。
    表头就是档案表的栏目名。每个有问题的单元格都按“工作表、行、列（栏目）”报出；有一处错误就什么都不写。

    \b
    例：
      bangfu import-xlsx 困难职工档案.xlsx
      bangfu import-xlsx 导出/困难职工档案-4601.xlsx --update
    """
    result = import_archive(root, file, update=update)
    for problem in result.warnings:
        click.echo(problem.to_text())
    click.echo(f"新建 {len(result.created)} 户，更新 {len(result.updated)} 户，{len(result.unchanged)} 户与档案相同未改动。")
    for path in result.created + result.updated:
        click.echo(f"  {path}")


@click.command("export-xlsx")
@click.option("--region", metavar="代码", help="只导出这个县、市的档案（默认全省）。")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="只导出这些状态的档案，可重复。")
@click.option(
    "--layout", type=click.Choice(LAYOUTS), default=ROWS, show_default=True, help="版式：一行一户（全国系统）或一表一户。"
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="文件名（默认 导出/困难职工档案-<代码>.xlsx）。")
@ROOT
def export_xlsx(region: str | None, statuses: tuple[str, ...], layout: str, out: Path | None, root: Path) -> None:
    """把档案导出为全国工会帮扶系统栏目顺序的表格（.xlsx），供上报。

    \b
    栏目顺序即档案表的顺序，表头取自 schema 的栏目名；成员、公示、帮扶台账等各占一个工作表。
    所选档案有错误时不导出。导出的表格再用 import-xlsx 导入，得到的档案与原来一字不差。

    \b
    例：
      bangfu export-xlsx --region 460105
      bangfu export-xlsx --status 帮扶中 --out 上报.xlsx
    """
    with Progress() as progress:
        progress.step("读取、校验所选档案并写出表格")
        result = export_archive(root, region, out, layout, statuses)
    click.echo(f"已导出 {result.count} 户：{result.path}")
    click.echo(f"导出内容：{result.source.describe()}。")
    for warning in result.source.warnings():
        click.echo(f"警告：{warning}", err=True)


COMMANDS = [new, notice, verify, sample, fmt, import_xlsx, export_xlsx]

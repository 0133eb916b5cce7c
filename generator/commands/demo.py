"""`bangfu demo`: write a synthetic (fake) province."""

from __future__ import annotations

from pathlib import Path

import click

from generator.demo.province import SAMPLE_HOUSEHOLDS, SAMPLE_SEED, write_demo
from generator.progress import Progress


@click.command("demo")
@click.option(
    "--households",
    type=click.IntRange(min=1),
    default=SAMPLE_HOUSEHOLDS,
    show_default=True,
    help="生成多少户。全省规模约 26700 户。",
)
@click.option("--seed", type=int, default=SAMPLE_SEED, show_default=True, help="随机种子：种子相同，生成的档案逐字节相同。")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出的档案库目录（在其中写 records/）。"
)
@click.option("--force", is_flag=True, help="输出目录的 records/ 里已有档案时，删除后重新生成（默认拒绝，以免覆盖真实档案）。")
def demo(households: int, seed: int, out: Path, force: bool) -> None:
    """生成虚构的演示档案库（姓名、证件号、地址、单位全部是假的）。

    在 OUT/records/<县区代码>/<职工编号>.yaml 写入各户档案，并复制 records/_settings/ 下的
    设置文件，得到一个完整的档案库，可直接校验、生成站点或做性能测试。

    户数按各县区的权重分配；困难类别、收入和各环节日期都符合《实施方案》的规则。

    OUT/records/ 里已有档案时拒绝写入，除非加 --force。

    \b
    例：
      bangfu demo --out /tmp/演示档案库
      bangfu demo --households 26700 --seed 1 --out /tmp/全省 --force
    """
    with Progress() as progress:
        progress.step(f"生成 {households} 户虚构档案")
        summary = write_demo(out, households, seed, force=force)
    click.echo(
        f"已在 {out / 'records'} 生成 {summary.households} 户、{summary.people} 人的虚构档案"
        f"（{summary.counties} 个县区，种子 {seed}）。"
    )


COMMANDS = [demo]

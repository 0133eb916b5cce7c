"""`bangfu build` and `bangfu serve`: the intranet site."""

from __future__ import annotations

from pathlib import Path

import click

from generator.pipeline import STEPS, build_site
from generator.progress import Progress, seconds


def _folder(flag: str, default: str, text: str):
    """A --flag naming a folder, shown with its default in --help."""
    return click.option(
        flag, type=click.Path(file_okay=False, path_type=Path), default=Path(default), show_default=True, help=text
    )


ROOT = _folder("--root", ".", "档案库根目录（含 records/）。")
OUT = _folder("--out", "site", "站点输出目录（整体替换，原目录在生成成功前保持不变）。")


@click.command("build")
@ROOT
@OUT
@click.option("--allow-invalid", is_flag=True, help="有错误的档案跳过不生成，其余照常生成（默认有错误就不生成）。")
@click.option("--jobs", type=click.IntRange(1, 16), default=None, help="生成页面的进程数（默认按 CPU 数，最多 2）。")
@click.option("--timings", is_flag=True, help="最后列出各步骤（校验、载入、历史、手册、档案页、地区页、发布）的用时。")
def build(root: Path, out: Path, allow_invalid: bool, jobs: int | None, timings: bool) -> None:
    """生成内网站点：手册、每户档案页、各地区名单、统计、工作清单、公示名单和批量打印。

    先校验全部档案，有错误时列出错误并停止，原有站点保持不变。只重写内容有变化的页面，
    生成完成后一次性替换输出目录。

    \b
    例：
      bangfu build
      bangfu build --out /srv/bangfu/site
    """
    with Progress(len(STEPS)) as progress:
        result = build_site(root, out, allow_invalid=allow_invalid, jobs=jobs, progress=progress)
    for alarm in result.alarms:
        bar = "!" * 72
        click.secho(f"{bar}\n{alarm}\n{bar}", err=True, fg="red", bold=True)
    for warning in result.warnings:
        click.echo(f"警告：{warning}", err=True)
    skipped = sum(1 for p in result.problems if p.is_error)
    if skipped:
        click.echo(f"警告：有 {skipped} 个错误，出错的档案未生成页面（--allow-invalid）。", err=True)
    click.echo(build_summary(result))
    if timings:
        click.echo("各步骤用时：" + "，".join(f"{step} {seconds:.1f} 秒" for step, seconds in result.timings.items()))


def build_summary(result) -> str:
    """What a build did, in words: the households, which pages were made anew, what changed on disk, how long."""
    if result.rendered == 0:
        pages = "各户页面都没有变化，沿用上次生成的结果"
    elif result.rendered == result.households:
        pages = "各户页面全部重新生成"
    else:
        pages = f"其中 {result.rendered} 户的档案有变化，重新生成了这些户的页面"
    if result.written == 0:
        files = f"站点的 {result.files} 个文件与上次生成的完全相同"
    else:
        files = (
            f"站点共 {result.files} 个文件，与上次相比有 {result.written} 个新写入或改动，"
            f"其余 {result.files - result.written} 个不变"
        )
    return f"已生成站点 {result.out}：{result.households} 户，{pages}；{files}。用时 {seconds(result.seconds)}。"


@click.command("serve")
@ROOT
@OUT
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口（只监听 127.0.0.1）。")
@click.option("--no-build", is_flag=True, help="不先生成，直接预览已有的输出目录。")
@click.option(
    "--with-desk",
    is_flag=True,
    help="连同编辑台一起演示：真实的 nginx（示例账号登录）、/desk/ 上的编辑台，用演示目录中档案库的副本（make demo）。",
)
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="--with-desk 的演示目录：档案库副本、站点、密码文件、日志（不进 git）。",
)
@click.option("--fresh", is_flag=True, help="--with-desk 时丢弃上次演示的副本（连同其中批准过的修改），从本仓库重新复制。")
def serve(root: Path, out: Path, port: int, no_build: bool, with_desk: bool, work: Path, fresh: bool) -> None:
    """在本机预览站点，并在档案、手册或 schema 改动后自动重新生成、刷新浏览器。

    只监听 127.0.0.1。按 Ctrl+C 停止。

    加 --with-desk 时演示工会用户看到的全部：站点经真实的 nginx 提供（基本认证，示例账号的密码都是 demo），
    编辑台在 /desk/（gunicorn，unix 套接字）。编辑台改的是演示目录中档案库的副本，不是本仓库；
    批准后站点在后台重新生成。没有装 nginx 时退回普通预览。说明见 docs/desk.md。

    \b
    例：
      bangfu serve
      bangfu serve --out site --port 8001
      bangfu serve --with-desk
    """
    if with_desk:
        from generator.serve_desk import serve_with_desk

        serve_with_desk(root, work, port, out=out, fresh=fresh, echo=click.echo)
        return
    from generator.serve import serve_site

    serve_site(root, out, port, build_first=not no_build, echo=click.echo)


COMMANDS = [build, serve]

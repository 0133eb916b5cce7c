"""Long work shows where it is on a terminal, and ends with a summary a person can read (issue 15 item 17)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from click.testing import CliRunner
from site_support import copy_samples

from generator.cli import cli
from generator.progress import Progress, seconds


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_drawn_in_place_on_a_terminal_and_removed_at_the_end():
    stream = _Terminal()
    with Progress(3, stream, enabled=True, interval=60) as progress:
        progress.step("校验档案")
        progress.count(5, 48)
    text = stream.getvalue()
    assert "\r\x1b[K⠋ 校验档案（第 1/3 步） … 已用 0 秒" in text
    assert "\r\x1b[K⠋ 校验档案（第 1/3 步） 5/48 户 … 已用 0 秒" in text
    assert text.endswith("\r\x1b[K"), "the line is cleared so the summary stands alone"


def test_nothing_is_drawn_when_stderr_is_no_terminal():
    stream = io.StringIO()
    with Progress(3, stream) as progress:
        progress.step("校验档案")
    assert stream.getvalue() == ""


def test_durations_read_as_minutes_and_seconds():
    assert (seconds(4.24), seconds(80.3), seconds(3600)) == ("4.2 秒", "1 分 20 秒", "60 分 0 秒")


def _build(root, out):
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[-1]


def test_the_build_summary_says_what_changed_in_words(tmp_path):
    """It said "写入 0 个文件、沿用 0 个，共 81119 个文件"."""
    root = copy_samples(tmp_path / "archive", git=False)
    first = _build(root, tmp_path / "site")
    assert first.startswith(f"已生成站点 {tmp_path / 'site'}：48 户，各户页面全部重新生成；站点共 ")
    files = int(first.split("站点共 ")[1].split(" ")[0])
    assert f"与上次相比有 {files} 个新写入或改动，其余 0 个不变。用时 " in first
    again = _build(root, tmp_path / "site")
    assert again.startswith(
        f"已生成站点 {tmp_path / 'site'}：48 户，各户页面都没有变化，沿用上次生成的结果；"
        f"站点的 {files} 个文件与上次生成的完全相同。用时 "
    )
    assert "\r" not in again


def test_a_build_on_a_terminal_shows_its_steps(tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    bangfu = os.path.join(os.path.dirname(sys.executable), "bangfu")
    main, child = pty.openpty()
    done = subprocess.run(
        [bangfu, "build", "--out", str(tmp_path / "site")],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child,
        timeout=600,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert done.returncode == 0
    shown = seen.decode("utf-8", "replace")
    for step in ("校验档案（第 1/8 步）", "生成档案页（第 6/8 步）", "发布站点（第 8/8 步）"):
        assert step in shown, shown
    assert "\r" not in done.stdout.decode("utf-8"), "the summary on stdout carries no progress"

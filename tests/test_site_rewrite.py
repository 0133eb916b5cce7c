"""A site build says loudly when main's history no longer contains what the site was last built from."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import REPO, make_archive

from generator.cli import cli

pytestmark = pytest.mark.xdist_group("site-rewrite")


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_rewritten_history_is_reported_loudly(tmp_path):
    root = make_archive(tmp_path / "archive")
    samples = sorted((REPO / "records").glob("4*/*.yaml"))[:4]
    for index, path in enumerate(samples):
        target = root / "records" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
        if index == 0:
            _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", f"Add {path.stem}")
    out = tmp_path / "site"
    runner = CliRunner()
    built = runner.invoke(cli, ["build", "--root", str(root), "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert "历史被改写" not in built.output
    _git(root, "reset", "-q", "--hard", "HEAD~1")
    _git(root, "commit", "-q", "--allow-empty", "-m", "Rewritten")
    again = runner.invoke(cli, ["build", "--root", str(root), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "main 的历史被改写了" in again.output and "!!!!" in again.output

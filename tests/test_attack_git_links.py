"""Symlinks where records, settings or the schema should be: a real push to a bare repository with the
installed hook, and `bangfu validate` / `bangfu build` / `bangfu review` on a checkout. Nothing is followed."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from conftest import make_archive
from history_support import EDITOR, R46, R4601, Archive, git, household, path_of
from hook_support import N1, N2, make_server, push, server_main

from generator.cli import cli
from generator.errors import HistoryError
from generator.history.review import review
from generator.records.dump import dump_record

SECRET = "服务器口令: s3cret-Zq9\n数据库主机: db-internal-7\n"


@pytest.fixture
def server(tmp_path):
    return make_server(tmp_path)


def _merge_link(work: Archive, number: str, target: str, extra: dict | None = None) -> str:
    """An editor's branch turning a household file into a link to `target`, merged by an authorised reviewer."""
    work.branch("link")
    for path, text in (extra or {}).items():
        (work.root / path).parent.mkdir(parents=True, exist_ok=True)
        (work.root / path).write_text(text, encoding="utf-8")
    link = work.root / path_of(number)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists():
        link.unlink()
    os.symlink(target, link)
    git(work.root, "add", "-A")
    git(work.root, "commit", "-q", "-m", "Link household", who=EDITOR)
    return work.merge("link", R4601, 8)


def test_a_record_linked_to_a_file_in_docs_is_refused(server):
    bare, work = server
    before = server_main(bare)
    _merge_link(work, N1, "../../docs/n1.yaml", {"docs/n1.yaml": dump_record(household(N1))})
    done = push(work, "main")
    assert done.returncode != 0
    assert f"{path_of(N1)}：是符号链接，不是普通文件" in done.stderr
    assert server_main(bare) == before


def test_a_record_linked_to_a_server_file_is_refused_without_reading_it(server, tmp_path):
    bare, work = server
    before = server_main(bare)
    secret = tmp_path / "server-secret.yaml"
    secret.write_text(SECRET, encoding="utf-8")
    _merge_link(work, N2, str(secret))
    done = push(work, "main")
    assert done.returncode != 0
    assert f"{path_of(N2)}：是符号链接，不是普通文件" in done.stderr
    for word in ("服务器口令", "s3cret", "数据库主机", "db-internal"):
        assert word not in done.stderr
    assert server_main(bare) == before
    assert not list(bare.rglob("4601059002.yaml"))  # the tree was never written out


def test_a_linked_setting_a_linked_schema_and_a_submodule_record_are_refused(server):
    bare, work = server
    before = server_main(bare)
    work.branch("links")
    settings = work.root / "records" / "_settings" / "access.yaml"
    (work.root / "docs").mkdir()
    os.replace(settings, work.root / "docs" / "access.yaml")
    os.symlink("../../docs/access.yaml", settings)
    (work.root / "schema").mkdir()
    os.symlink("/etc/hostname", work.root / "schema" / "household.schema.json")
    git(work.root, "add", "-A")
    git(work.root, "update-index", "--add", "--cacheinfo", f"160000,{before},{path_of(N2)}")
    git(work.root, "commit", "-q", "-m", "Links", who=EDITOR)
    work.merge("links", R46, 9)
    done = push(work, "main")
    assert done.returncode != 0
    assert "records/_settings/access.yaml：是符号链接" in done.stderr
    assert "schema/household.schema.json：是符号链接" in done.stderr
    assert f"{path_of(N2)}：是子模块（gitlink）" in done.stderr
    assert server_main(bare) == before


def _linked_checkout(tmp_path, target_text: str, rel_target: bool = True):
    """An archive root with one regular household and one household that is a link to a file beside records/."""
    root = make_archive(tmp_path / "archive")
    (root / path_of(N1)).parent.mkdir(parents=True)
    (root / path_of(N1)).write_text(dump_record(household(N1)), encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "n2.yaml").write_text(target_text, encoding="utf-8")
    os.symlink("../../docs/n2.yaml" if rel_target else str(root / "docs" / "n2.yaml"), root / path_of(N2))
    return root


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_validate_reports_a_linked_record_and_does_not_read_it(tmp_path, relative):
    root = _linked_checkout(tmp_path, dump_record(household(N2)), relative)
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{path_of(N2)}: 是符号链接：records/、设置文件和 schema/ 下只能放普通文件" in result.output
    named = CliRunner().invoke(cli, ["validate", "--root", str(root), str(root / path_of(N2))], catch_exceptions=False)
    assert named.exit_code == 1 and "是符号链接" in named.output


def test_validate_never_prints_what_a_link_points_at(tmp_path):
    root = _linked_checkout(tmp_path, SECRET)
    os.replace(root / "records" / "_settings" / "access.yaml", root / "docs" / "access.yaml")
    os.symlink(str(root / "docs" / "access.yaml"), root / "records" / "_settings" / "access.yaml")
    (root / "schema").mkdir()
    os.symlink("../docs/n2.yaml", root / "schema" / "household.schema.json")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    for rel in ("records/_settings/access.yaml", "schema/household.schema.json", path_of(N2)):
        assert f"{rel}: 是符号链接" in result.output
    assert "服务器口令" not in result.output and "s3cret" not in result.output


@pytest.mark.parametrize("allow", [[], ["--allow-invalid"]], ids=["plain", "allow-invalid"])
def test_build_refuses_a_linked_record_and_publishes_nothing(tmp_path, allow):
    root = _linked_checkout(tmp_path, dump_record(household(N2)))
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--out", str(out), *allow])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "站点未生成" in result.output and f"{path_of(N2)}: 是符号链接" in result.output
    assert not out.exists()


def test_review_of_a_branch_with_a_linked_record_says_why(tmp_path):
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    work.branch("link")
    os.symlink("/etc/passwd", work.root / path_of(N2))
    git(work.root, "add", "-A")
    git(work.root, "commit", "-q", "-m", "Link", who=EDITOR)
    with pytest.raises(HistoryError, match=f"{path_of(N2)}：是符号链接，不是普通文件"):
        review(work.root, "refs/heads/main..link")
    assert not (work.root / ".bangfu-cache" / "tree" / path_of(N2)).exists()


def test_review_runs_twice_in_the_same_checkout(tmp_path, monkeypatch):
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    work.branch("edit")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注="改")})
    monkeypatch.chdir(work.root)  # the default --root . (a relative cache folder)
    for _ in range(2):
        result = CliRunner().invoke(cli, ["review", "main..edit"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("## 档案修改审阅") and path_of(N1) in result.output


def test_fmt_of_a_linked_record_reads_and_writes_nothing(tmp_path):
    messy = dump_record(household(N2)).replace("职工编号: '4601059002'", '职工编号: "4601059002"  ')
    root = _linked_checkout(tmp_path, messy)
    target = root / "docs" / "n2.yaml"
    before = target.read_bytes()
    for args in ([str(root / path_of(N2))], [str(root / "records" / "460105")]):
        result = CliRunner().invoke(cli, ["fmt", "--root", str(root), *args])
        assert result.exit_code == 1 and f"{path_of(N2)}: 是符号链接" in result.output, result.output
    whole = CliRunner().invoke(cli, ["fmt", "--root", str(root)])
    assert whole.exit_code == 0 and "1 个已是规范格式" in whole.output  # the regular household only
    assert (root / path_of(N2)).is_symlink() and target.read_bytes() == before

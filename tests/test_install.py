"""A regular (not editable) install works: the package carries its schema, templates, handbook and data.

`pip install .` once left the schema behind (bangfu looked for site-packages/schema/), so `bangfu validate` and
a hook installed from such a package failed every push with a traceback. Here the project is installed the
way CI and a server install it, into a fresh virtual environment, and used from outside the source tree.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from history_support import EDITOR, R4601, REPO, Archive, as_env, git, household
from site_support import copy_samples

N1 = "4601059001"
NOT_SOURCE = {".git", ".venv", "site", "build", "dist", "bench", "tests", "records"}


def _source_copy(target: Path) -> Path:
    """The source tree as a clean clone has it (so the build writes nothing into the repository)."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == REPO
        return {n for n in names if (top and (n in NOT_SOURCE or n.startswith("site"))) or n == "__pycache__"
                or n.endswith(".egg-info")}

    shutil.copytree(REPO, target, ignore=ignore)
    shutil.copytree(REPO / "records" / "_settings", target / "records" / "_settings")
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh virtual environment where bangfu is installed from a copy of the source, not editable.

    Built as `pip install .` builds (setuptools fetched into an isolated build environment); its dependencies
    are this test environment's (a .pth file names its site-packages), so only the build tools are fetched.
    """
    base = tmp_path_factory.mktemp("install")
    source = _source_copy(base / "source")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    packages = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (packages / "bangfu-test-deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8")
    done = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed package, nothing else
    return subprocess.run([bin_dir / args[0], *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_package_carries_schema_handbook_templates_and_data(installed, tmp_path):
    done = _run(installed, "python", "-c", "import generator, generator.schema as s; print(generator.PACKAGE_DIR); "
                "print(generator.RESOURCES); print(s.SCHEMA_DIR)", cwd=tmp_path)
    package, resources, schema = (Path(line) for line in done.stdout.splitlines())
    assert package.parent.name == "site-packages" and not package.is_relative_to(REPO)
    assert not (package.parent / "schema").exists(), "nothing lands outside the package"
    assert resources == package / "_shipped" and schema == resources / "schema"
    for name in sorted(p.name for p in (REPO / "schema").glob("*.json")):
        assert filecmp.cmp(REPO / "schema" / name, schema / name, shallow=False), name
    assert filecmp.cmp(REPO / "mkdocs.yml", resources / "mkdocs.yml", shallow=False)
    assert sorted(p.relative_to(REPO / "docs") for p in (REPO / "docs").rglob("*.md")) == \
        sorted(p.relative_to(resources / "docs") for p in (resources / "docs").rglob("*.md"))
    assert (resources / "records" / "_settings" / "standards.yaml").is_file()
    assert (package / "site" / "templates" / "household.html").is_file() and (package / "data" / "regions.json").is_file()


def test_installed_bangfu_validates_builds_and_makes_a_demo(installed, tmp_path):
    root = copy_samples(tmp_path / "archive", git=False)
    done = _run(installed, "bangfu", "validate", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "共检查 48 份档案：0 个错误" in done.stdout
    done = _run(installed, "bangfu", "build", "--out", str(tmp_path / "site"), cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "handbook").is_dir(), "the handbook came from the package"
    done = _run(installed, "bangfu", "demo", "--households", "3", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list((tmp_path / "demo" / "records").glob("[0-9]*/*.yaml"))) == 3
    assert _run(installed, "bangfu", "validate", cwd=tmp_path / "demo").returncode == 0


def test_a_hook_installed_from_the_package_accepts_and_refuses_pushes(installed, tmp_path):
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    git(work.root, "remote", "add", "origin", str(bare))

    def push() -> subprocess.CompletedProcess:
        env = {k: v for k, v in as_env(EDITOR).items() if k != "PYTHONPATH"}
        return subprocess.run(["git", "push", "-q", "origin", "main"], cwd=work.root, env=env, capture_output=True, text=True)

    assert push().returncode == 0  # the initial import, before the hook
    done = _run(installed, "bangfu", "hook", "install", "--bare", str(bare), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "site-packages" in (bare / "hooks" / "pre-receive").read_text(encoding="utf-8")
    approved = work.pull_request("edit", EDITOR, R4601, 2, {N1: household(N1, 备注="已核实")})
    done = push()
    assert done.returncode == 0, done.stderr
    assert git(bare, "rev-parse", "refs/heads/main") == approved
    work.pull_request("broken", EDITOR, R4601, 3, {N1: household(N1, 家庭人口=0)})
    done = push()
    assert done.returncode != 0
    assert "remote: 拒绝推送到 main：" in done.stderr and "档案校验未通过" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert git(bare, "rev-parse", "refs/heads/main") == approved

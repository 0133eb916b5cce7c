"""A regular (not editable) install works: the package carries its schema, templates, handbook and data.

`pip install .` once left the schema behind (bangfu looked for site-packages/schema/), so `bangfu validate` and
a hook installed from such a package failed every push with a traceback. Here the project is installed the
way CI and a server install it, into a fresh virtual environment, and used from outside the source tree.
"""

from __future__ import annotations

import filecmp
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from history_support import EDITOR, R4601, REPO, Archive, as_env, git, household
from site_support import copy_samples

N1 = "4601059001"
NOT_SOURCE = {".git", ".venv", "site", "build", "dist", "bench", "tests", "records"}


def _source_copy(target: Path) -> Path:
    """The source tree as a clean clone has it (so the build writes nothing into the repository)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == REPO
        return {
            n
            for n in names
            if (top and (n in NOT_SOURCE or n.startswith("site"))) or n == "__pycache__" or n.endswith(".egg-info")
        }

    shutil.copytree(REPO, target, ignore=ignore)
    shutil.copytree(REPO / "records" / "_settings", target / "records" / "_settings")
    return target


def _fresh_venv(venv: Path) -> Path:
    """bin/ of a new virtual environment whose dependencies (and pip) are this test environment's, named by a
    .pth file: installing bangfu into it fetches only the build tools, as `pip install .` does."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    packages = Path(
        subprocess.run(
            [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (packages / "bangfu-test-deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8")
    for name in ("pip", "pip3"):  # a bare `pip` installs into this environment, never into the machine's Python
        shim = venv / "bin" / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(str(venv / "bin" / "python"))} -m pip "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh virtual environment where bangfu is installed from a copy of the source, not editable."""
    base = tmp_path_factory.mktemp("install")
    source = _source_copy(base / "source")
    bin_dir = _fresh_venv(base / "venv")
    done = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", str(source)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed package, nothing else


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = _clean_env()
    return subprocess.run([bin_dir / args[0], *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_package_carries_schema_handbook_templates_and_data(installed, tmp_path):
    done = _run(
        installed,
        "python",
        "-c",
        "import generator, generator.records.schema as s; print(generator.PACKAGE_DIR); "
        "print(generator.RESOURCES); print(s.SCHEMA_DIR)",
        cwd=tmp_path,
    )
    package, resources, schema = (Path(line) for line in done.stdout.splitlines())
    assert package.parent.name == "site-packages" and not package.is_relative_to(REPO)
    assert not (package.parent / "schema").exists(), "nothing lands outside the package"
    assert resources == package / "_shipped" and schema == resources / "schema"
    for name in sorted(p.name for p in (REPO / "schema").glob("*.json")):
        assert filecmp.cmp(REPO / "schema" / name, schema / name, shallow=False), name
    assert filecmp.cmp(REPO / "mkdocs.yml", resources / "mkdocs.yml", shallow=False)
    assert sorted(p.relative_to(REPO / "docs") for p in (REPO / "docs").rglob("*.md")) == sorted(
        p.relative_to(resources / "docs") for p in (resources / "docs").rglob("*.md")
    )
    assert (resources / "records" / "_settings" / "standards.yaml").is_file()
    source = sorted(
        p.relative_to(REPO / "generator") for p in (REPO / "generator").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert [p for p in source if not (package / p).is_file()] == [], "every file of the package is installed"
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
        env = {**as_env(EDITOR), **_clean_env(), "REMOTE_USER": "reviewer-4601"}  # the web server's login: the reviewer
        return subprocess.run(["git", "push", "-q", "origin", "main"], cwd=work.root, env=env, capture_output=True, text=True)

    assert push().returncode == 0  # the initial import, before the hook
    done = _run(installed, "bangfu", "hook", "install", "--bare", str(bare), "--pusher-source", "http", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "site-packages" in (bare / "hooks" / "pre-receive").read_text(encoding="utf-8")
    approved = work.pull_request("edit", EDITOR, R4601, 2, {N1: household(N1, 备注="已核实")})
    done = push()
    assert done.returncode == 0, done.stderr
    assert git(bare, "rev-parse", "refs/heads/main") == approved
    assert list((bare / "bangfu-cache").glob("checks-*@*.pickle")), "the hook's caches are in the git directory"
    work.pull_request("broken", EDITOR, R4601, 3, {N1: household(N1, 家庭人口=0)})
    done = push()
    assert done.returncode != 0
    assert "remote: 拒绝推送到 main：" in done.stderr and "档案校验未通过" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert git(bare, "rev-parse", "refs/heads/main") == approved


def test_building_the_package_prints_no_deprecation_box(tmp_path):
    """`make demo` printed setuptools' "`project.license` as a TOML table is deprecated" box: the metadata uses the
    current form (an SPDX expression), so building with the setuptools the build requires warns about nothing."""
    source = _source_copy(tmp_path / "source")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "SetuptoolsDeprecationWarning" not in output and "is deprecated" not in output, output[-3000:]
    assert list((tmp_path / "wheel").glob("bangfu-*.whl"))


# -- CI: the base commit's program checks the pull request's records -------------------------------------------

ACTIONS = [".github/workflows/bangfu.yml", ".gitea/workflows/bangfu.yml"]
FORGED = "FORGED-REVIEW 校验：✅ 通过"
ZEROS = "0" * 40
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _workflow(path: str) -> dict:
    flow = yaml.safe_load((REPO / path).read_text(encoding="utf-8"))
    flow["on"] = flow.pop(True, None) or flow.get("on")  # YAML 1.1 reads a bare `on` as true
    return flow


def _token_step(step: dict) -> bool:
    return any("secrets." in str(v) or "github.token" in str(v) for v in (step.get("env") or {}).values())


@pytest.mark.parametrize("path", ACTIONS)
def test_actions_install_the_base_program_and_read_the_pull_request_as_data(path):
    flow = _workflow(path)
    assert set(flow["on"]) == {"pull_request_target", "push"}, "the workflow itself comes from main, not the pull request"
    assert flow["env"]["BASE"] == "${{ github.event.pull_request.base.sha || github.event.before }}"
    steps = flow["jobs"]["check"]["steps"]
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout")]
    assert len(checkouts) == 1 and checkouts[0]["with"]["path"] == "archive"
    assert checkouts[0]["with"]["persist-credentials"] is False
    assert checkouts[0]["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    runs = [s for s in steps if "run" in s]
    installs = [s for s in runs if "pip install" in s["run"]]
    assert len(installs) == 1, "installed once"
    [install] = installs
    assert install["working-directory"] == "${{ runner.temp }}"
    assert 'git -C "$GITHUB_WORKSPACE/archive" archive --format=tar "$BASE"' in install["run"]
    pips = [line.strip() for line in install["run"].splitlines() if "pip install" in line]
    assert pips == ['python -I -m pip install "$program"', 'python -I -m pip install -r "$program/bangfu-requirements.txt"']
    for step in runs:
        assert "${{" not in step["run"], "values reach scripts through env, never pasted into them"
        assert all(" -I " in line for line in step["run"].splitlines() if re.search(r"\bpython3? ", line))
        if "bangfu " in step["run"]:
            assert step.get("working-directory") == "archive" and not _token_step(step)
        if _token_step(step):
            assert step["working-directory"] == "${{ runner.temp }}" and "bangfu" not in step["run"]
    assert sum(_token_step(s) for s in steps) == 1


def test_gitlab_installs_the_base_program_and_keeps_tokens_from_bangfu():
    flow = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    script = "\n".join(flow["bangfu"]["script"])
    assert 'BASE="$CI_MERGE_REQUEST_DIFF_BASE_SHA"' in script and 'BASE="${CI_COMMIT_BEFORE_SHA:-}"' in script
    assert 'git archive --format=tar "$BASE"' in script
    pips = [line.strip() for line in script.splitlines() if "pip install" in line]
    assert pips == [
        '(cd / && python -I -m pip install "$program")',
        '(cd / && python -I -m pip install -r "$program/bangfu-requirements.txt")',
    ]
    assert "bangfu() { env -u BANGFU_BOT_TOKEN -u CI_JOB_TOKEN" in script
    assert all(" -I " in line for line in script.splitlines() if re.search(r"\bpython3? ", line))


def _program_on_main(tmp_path: Path) -> tuple[Path, str]:
    """A repository holding the program and the samples on main: (repository, main's commit)."""
    origin = _source_copy(tmp_path / "origin")
    shutil.rmtree(origin / "records")
    copy_samples(origin)  # records/ and a first commit on main
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "程序")
    return origin, git(origin, "rev-parse", "refs/heads/main")


def _forge(origin: Path, command: str, line: str) -> None:
    """Edit the program in the working tree so that `command` prints FORGED (and succeeds) instead of its work."""
    history = origin / "generator" / "commands" / "history.py"
    text = history.read_text(encoding="utf-8")
    body = text[text.index(f"def {command}(") :]
    assert line in body
    history.write_text(text.replace(body, body.replace(line, f"    click.echo({FORGED!r})\n    return\n", 1)), encoding="utf-8")


def _break_a_record(origin: Path) -> None:
    record = origin / "records" / "460105" / "4601050001.yaml"
    record.write_text(re.sub(r"(?m)^家庭人口: \d+$", "家庭人口: 0", record.read_text(encoding="utf-8")), encoding="utf-8")


def _run_actions(path: str, origin: Path, values: dict, event: str, tmp_path: Path) -> tuple[dict, Path, Path]:
    """The workflow's steps as a runner takes them: checkout as git does it, `run` scripts with bash; stops at
    the first failing step. The step that posts the comment (it holds the token) is not run.
    Returns (results by step name, runner temp folder, bin/ of the runner's Python)."""
    flow = _workflow(path)
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    runner_temp.mkdir()
    bin_dir = _fresh_venv(tmp_path / "runner-python")
    values = {**values, "runner.temp": str(runner_temp)}

    def expand(text) -> str:
        return EXPRESSION.sub(lambda m: values[m.group(1)], str(text))

    env = {
        **_clean_env(),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_REPOSITORY": "union/archive",
    }
    env.update({k: expand(v) for k, v in flow.get("env", {}).items()})
    results: dict = {}
    for step in flow["jobs"]["check"]["steps"]:
        condition = step.get("if")
        if condition and condition != f"github.event_name == '{event}'":
            continue
        if str(step.get("uses", "")).startswith("actions/checkout"):
            target = workspace / step["with"].get("path", ".")
            ref = expand(step["with"].get("ref", ""))
            git(workspace, "clone", "-q", *(["--no-checkout"] if ref else []), str(origin), str(target))
            if ref:
                git(target, "checkout", "-q", "--detach", ref)
            continue
        if "run" not in step or _token_step(step):
            continue
        cwd = workspace / expand(step.get("working-directory", "."))
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env={**env, **{k: expand(v) for k, v in (step.get("env") or {}).items()}},
            capture_output=True,
            text=True,
            timeout=900,
        )
        results[step.get("name", step["run"][:20])] = done
        if done.returncode:
            break
    return results, runner_temp, bin_dir


def _installed_is_base(bin_dir: Path, origin: Path, base: str) -> bool:
    found = subprocess.run(
        [bin_dir / "python", "-I", "-c", "import generator.commands.history as h; print(h.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(found).read_text(encoding="utf-8") == git(origin, "show", f"{base}:generator/commands/history.py") + "\n"


@pytest.mark.parametrize("path", ACTIONS)
def test_a_pull_request_that_edits_the_program_cannot_forge_its_review(path, tmp_path):
    origin, base = _program_on_main(tmp_path)
    git(origin, "switch", "-q", "-c", "editor/forge")
    _forge(origin, "review_command", "    result = review(root, spec)\n")
    validate = origin / "generator" / "validation" / "validate.py"
    text = validate.read_text(encoding="utf-8")
    assert "        return _validate_tree(root, paths, ctx, use_cache)\n" in text
    validate.write_text(
        text.replace("        return _validate_tree(root, paths, ctx, use_cache)\n", "        return 0, []\n"), encoding="utf-8"
    )
    _break_a_record(origin)
    git(origin, "commit", "-q", "-am", "改家庭人口")
    head = git(origin, "rev-parse", "refs/heads/editor/forge")
    values = {
        "github.event.pull_request.base.sha || github.event.before": base,
        "github.event.pull_request.head.sha": head,
        "github.event.pull_request.head.sha || github.sha": head,
    }
    results, runner_temp, bin_dir = _run_actions(path, origin, values, "pull_request_target", tmp_path)

    assert list(results) == ["安装基准提交的 bangfu", "审阅摘要", "校验档案"], {k: v.stderr[-2000:] for k, v in results.items()}
    review = (runner_temp / "review.md").read_text(encoding="utf-8")
    assert "FORGED" not in "".join(r.stdout + r.stderr for r in results.values()) + review
    assert review.startswith("## 档案修改审阅") and "校验：❌" in review and "✅ 通过" not in review
    validate = results["校验档案"]
    assert validate.returncode == 1 and "records/460105/4601050001.yaml" in validate.stdout
    assert _installed_is_base(bin_dir, origin, base)


@pytest.mark.parametrize("path", ACTIONS)
def test_a_push_that_edits_the_program_cannot_forge_its_audit(path, tmp_path):
    origin, before = _program_on_main(tmp_path)
    _forge(origin, "audit_command", "    report = audit(root, since)\n")
    record = origin / "records" / "460105" / "4601050002.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("工作单位: ", "工作单位: 新", 1), encoding="utf-8")
    git(origin, "commit", "-q", "-am", "直接改程序和档案")
    pushed = git(origin, "rev-parse", "refs/heads/main")
    values = {
        "github.event.pull_request.base.sha || github.event.before": before,
        "github.event.pull_request.head.sha": "",
        "github.event.pull_request.head.sha || github.sha": pushed,
    }
    results, _, bin_dir = _run_actions(path, origin, values, "push", tmp_path)

    assert list(results) == ["安装基准提交的 bangfu", "校验档案", "CODEOWNERS 与审核人名单一致", "审计 main 的审批记录"]
    audit = results["审计 main 的审批记录"]
    assert audit.returncode == 1 and "FORGED" not in audit.stdout + audit.stderr
    assert f"{pushed[:8]} " in audit.stdout and "直接提交到 main，没有经过合并请求和审核人审批" in audit.stdout
    assert _installed_is_base(bin_dir, origin, before)


def test_gitlab_checks_a_deployed_archive_with_the_program_its_base_pins(tmp_path):
    """An archive without the program names it in bangfu-requirements.txt; a merge request that brings a program
    of its own (and a new pin) is still checked by the pinned one."""
    program = _source_copy(tmp_path / "program")
    origin = copy_samples(tmp_path / "origin")
    (origin / "bangfu-requirements.txt").write_text(f"bangfu @ {program.as_uri()}\n", encoding="utf-8")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "固定程序版本")
    base = git(origin, "rev-parse", "refs/heads/main")
    git(origin, "switch", "-q", "-c", "editor/forge")
    forged = _source_copy(tmp_path / "forged")
    _forge(forged, "review_command", "    result = review(root, spec)\n")
    for name in ("generator", "pyproject.toml", "setup.py", "MANIFEST.in", "schema", "docs", "mkdocs.yml", "README.md"):
        (shutil.copytree if (forged / name).is_dir() else shutil.copyfile)(forged / name, origin / name)
    (origin / "bangfu-requirements.txt").write_text(f"bangfu @ {forged.as_uri()}\n", encoding="utf-8")
    _break_a_record(origin)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "带上自己的程序")
    head = git(origin, "rev-parse", "refs/heads/editor/forge")
    project = tmp_path / "project"
    git(tmp_path, "clone", "-q", "--no-checkout", str(origin), str(project))
    git(project, "checkout", "-q", "--detach", head)
    bin_dir = _fresh_venv(tmp_path / "runner-python")
    env = {
        **_clean_env(),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_COMMIT_SHA": head,
        "CI_PROJECT_DIR": str(project),
        "CI_DEFAULT_BRANCH": "main",
        "CI_JOB_TOKEN": "job-token",
        "BANGFU_BOT_TOKEN": "",
    }
    script = "\n".join(yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))["bangfu"]["script"])
    done = subprocess.run(["sh", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=900)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "FORGED" not in done.stdout + done.stderr
    review = (project / "review.md").read_text(encoding="utf-8")
    assert review.startswith("## 档案修改审阅") and "校验：❌" in review
    assert "records/460105/4601050001.yaml" in done.stdout.split("## 档案修改审阅", 1)[1]
    found = subprocess.run(
        [bin_dir / "python", "-I", "-c", "import generator; print(generator.PACKAGE_DIR)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (Path(found) / "commands" / "history.py").read_text(encoding="utf-8") == (
        program / "generator" / "commands" / "history.py"
    ).read_text(encoding="utf-8")

"""Caches are never read from a checkout, and one fingerprint of every input keys them all.

A pull request could once ship `.bangfu-cache/*.pickle`, which `bangfu validate` in CI unpickled (code execution
where a token is present). And the page cache left out privacy.py, the schema's x-personal marks and the region
data: after a masking rule changed, unchanged households kept pages masked by the old rule.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from site_support import REPO, copy_samples

from generator.records import cache, cache_files

MARKER_CODE = "open({marker!r}, 'w').write('the pickle ran')"
OLD_NAMES = ("stat", "records", "history", "csp-scan", "fmt")
OLD_SHARDED = ("checks", "site-data", "records")


class _Planted:
    """Unpickling it runs code: writes the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (MARKER_CODE.format(marker=str(self.marker)),)


def _bangfu(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _plant(root: Path, marker: Path) -> int:
    """Every cache name of the old layout (and the current naming) as a hostile pickle under root/.bangfu-cache."""
    folder = root / cache_files.LEGACY_DIR
    folder.mkdir()
    counties = [p.name for p in (root / "records").iterdir() if p.name.isdigit()] + ["_"]
    names = [*OLD_NAMES, *(f"{name}-{county}" for name in OLD_SHARDED for county in counties)]
    payload = pickle.dumps(_Planted(marker))
    for name in names:
        (folder / f"{name}-0.1.0.pickle").write_bytes(payload)  # where 0.1.0 looked
        (folder / f"{name}@{cache.inputs_key(root)}.pickle").write_bytes(payload)  # named as caches are now
    for generation in ("site", "site.bangfu/spare"):  # a built site's manifests, next to the default output
        (root / generation).mkdir(parents=True)
        (root / generation / ".bangfu-generation").write_text(f"{generation.replace('/', '-')}\n", encoding="ascii")
        (root / generation / "index.html").write_text("<p>planted</p>", encoding="utf-8")
        manifests = root / "site.bangfu" / "manifests"
        manifests.mkdir(parents=True, exist_ok=True)
        (manifests / f"{generation.replace('/', '-')}.pickle").write_bytes(payload)
    return len(names)


def test_a_pull_request_shipping_pickles_runs_nothing(tmp_path):
    origin = copy_samples(tmp_path / "origin")
    marker = tmp_path / "pwned"
    _git(origin, "switch", "-q", "-c", "evil")
    record = sorted((origin / "records" / "460105").glob("*.yaml"))[0]
    record.write_text(record.read_text(encoding="utf-8").replace("工作单位: ", "工作单位: 新"), encoding="utf-8")
    assert _plant(origin, marker) > 40
    _git(origin, "add", "-A")
    _git(origin, "commit", "-q", "-m", "改工作单位")
    checkout = tmp_path / "checkout"  # what CI checks out for the pull request
    _git(tmp_path, "clone", "-q", "-b", "evil", str(origin), str(checkout))
    assert (checkout / ".bangfu-cache" / "stat-0.1.0.pickle").is_file()

    runs = {
        "validate": _bangfu("validate", cwd=checkout),
        "validate again": _bangfu("validate", cwd=checkout),
        "build": _bangfu("build", cwd=checkout),  # into ./site, whose manifests the pull request planted
        "review": _bangfu("review", "refs/remotes/origin/main..refs/heads/evil", cwd=checkout),
    }
    for what, done in runs.items():
        assert not marker.exists(), f"{what} unpickled a file from the checkout"
        assert done.returncode == 0 and "Traceback" not in done.stderr, (what, done.stdout, done.stderr)
    assert "工作区中有 .bangfu-cache 目录：本程序不会读取其中的任何文件" in runs["validate"].stdout
    written = cache.cache_dir(checkout)
    assert written.is_relative_to(checkout / ".git"), written
    assert list(written.glob("checks-460105@*.pickle")) and list(written.glob("site-data-460105@*.pickle"))
    assert "planted" not in (checkout / "site" / "index.html").read_text(encoding="utf-8")
    assert _bangfu("validate", "--strict", cwd=checkout).returncode == 1, "a committed cache fails a strict check"


def test_a_planted_cache_cannot_import_the_command_line(tmp_path):
    # A manifest next to the output may come from a checkout: naming generator.__main__ imported it, which ran
    # the command line again with this process's arguments (here: bangfu with none, printing its usage) and exited.
    planted = tmp_path / "manifest.pickle"
    planted.write_bytes(b"cgenerator.__main__\nmain\n.")
    script = (
        "import pickle, sys; from generator.records import cache_files\n"
        "try:\n    cache_files.load(open(sys.argv[1], 'rb'))\n"
        "except pickle.UnpicklingError as exc:\n    print('refused:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(planted)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "refused: generator.__main__.main is not allowed in a cache\n", (
        done.stdout,
        done.stderr,
    )


def test_caches_outside_git_go_to_the_users_cache_folder(tmp_path):
    root = copy_samples(tmp_path / "plain", git=False)
    home = Path(os.environ["XDG_CACHE_HOME"])
    marker = tmp_path / "pwned"
    _plant(root, marker)
    done = _bangfu("validate", cwd=root)
    assert done.returncode == 0 and not marker.exists(), done.stderr
    folder = cache.cache_dir(root)
    assert folder.parent == home / "bangfu" and list(folder.glob("checks-*@*.pickle"))
    assert cache.cache_dir(copy_samples(tmp_path / "other", git=False)) != folder


def test_every_cache_file_is_named_by_the_one_fingerprint(tmp_path):
    root = copy_samples(tmp_path / "archive")
    assert _bangfu("build", "--out", str(tmp_path / "site"), cwd=root).returncode == 0
    key = cache.inputs_key(root)
    names = sorted(p.name for p in cache.cache_dir(root).glob("*.pickle"))
    assert names and all(name.endswith(f"@{key}.pickle") for name in names), names
    roles = root / "records" / "_settings" / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + "\n# 说明\n", encoding="utf-8")
    assert cache.inputs_key(root) != key
    assert _bangfu("validate", cwd=root).returncode == 0
    assert not list(cache.cache_dir(root).glob(f"checks-*@{key}.pickle")), "caches of other inputs are dropped"


# -- a masking rule changes: every affected page is rendered again -------------------------------------------


def _program_copy(folder: Path) -> Path:
    """The program as a source checkout lays it out (generator/, schema/, mkdocs.yml, docs/), to be edited."""
    shutil.copytree(REPO / "generator", folder / "generator", ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
    shutil.copytree(REPO / "schema", folder / "schema")
    shutil.copytree(REPO / "docs", folder / "docs")
    shutil.copyfile(REPO / "mkdocs.yml", folder / "mkdocs.yml")
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _households(root: Path) -> list[tuple[str, dict]]:
    return [
        (p.parent.name, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted((root / "records").glob("[0-9]*/*.yaml"))
    ]


def _page(site: Path, county: str, data: dict) -> str:
    return (site / "h" / county / str(data["职工编号"]) / "index.html").read_text(encoding="utf-8")


def test_a_changed_masking_rule_renders_every_affected_page_again(tmp_path):
    program = _program_copy(tmp_path / "program")
    root = copy_samples(tmp_path / "archive", git=False)
    site = tmp_path / "out" / "site"
    env = {**os.environ, "PYTHONPATH": str(program)}

    def build() -> str:
        done = _bangfu("build", "--root", str(root), "--out", str(site), cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    build()
    households = _households(root)

    def unit(data: dict, shown: str | None = None) -> str:  # the details table: 家庭住址, then 工作单位
        return f"<td>{re.escape(data['家庭住址'])}</td><td>{shown or re.escape(data['工作单位'])}</td>"

    assert all(re.search(unit(data), _page(site, county, data)) for county, data in households)
    assert "各户页面都没有变化，沿用上次生成的结果" in build(), "an unchanged program renders nothing"

    # privacy.py: names lose their last character too (张三明 → 张**)
    _edit(
        program / "generator" / "access" / "privacy.py",
        'return name[0] + "*" * (len(name) - 2) + name[-1]',
        'return name[0] + "*" * (len(name) - 1)',
    )
    build()
    for county, data in households:
        name = data["姓名"]
        expected = name if len(name) <= 1 else name[0] + "*" * (len(name) - 1)
        title = re.search(r"<title>(.*?)</title>", _page(site, county, data)).group(1)
        assert title.startswith(f"{data['职工编号']} {expected} "), (title, expected)

    # the schema: 工作单位 becomes personal data of the bank-card kind (masked in the archive area)
    schema_file = program / "schema" / "household.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    schema["properties"]["工作单位"]["x-personal"] = "银行卡号"
    schema_file.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    # and the region data: 秀英区 is renamed
    regions_file = program / "generator" / "data" / "regions.json"
    _edit(regions_file, '"秀英区"', '"秀英新区"')
    build()
    for county, data in households:
        page = _page(site, county, data)
        assert not re.search(unit(data), page), (county, data["职工编号"])
        assert re.search(unit(data, r"[^<]*\*[^<]*"), page), "masked, not dropped"
        if county == "460105":
            assert "秀英新区" in page, "the region's new name"

    # the settings: the archive area now masks addresses too (roles.yaml)
    roles = root / "records" / "_settings" / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    assert text.index("  档案:\n") < text.index("    住址: 完整\n") < text.index("  名单:\n")
    roles.write_text(text.replace("    住址: 完整\n", "    住址: 遮蔽\n", 1), encoding="utf-8")
    build()
    for county, data in households:
        page = _page(site, county, data)
        assert f"<td>{data['家庭住址']}</td><td>" not in page, (county, data["职工编号"])
        assert re.search(r"<td>[^<]*\*[^<]*</td><td>[^<]*\*[^<]*</td>", page), "address and employer masked"


# -- an archive's own mkdocs.yml is data: nothing in it may make the build run code ----------------------------


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("hooks:\n  - evil.py\n", "不能设定“hooks”（会运行档案库中的 Python 文件）"),
        (
            "markdown_extensions:\n  - pymdownx.superfences:\n      custom_fences:\n        - name: x\n          class: x\n"
            "          format: !!python/name:evil.run\n",
            "不能有 !!python 等标记",
        ),  # fmt: skip
        ("theme:\n  name: material\n  custom_dir: overrides\n", "theme 中不能设定“custom_dir”"),
        ("plugins:\n  - search\n  - evil\n", "plugins 只能用程序自己的 mkdocs.yml 中的那些，不能加 evil"),
    ],
    ids=["hooks", "python-tag", "custom-templates", "plugin"],
)
def test_an_archives_mkdocs_yml_cannot_make_the_build_run_its_code(tmp_path, config, said):
    root = copy_samples(tmp_path / "archive")
    marker = tmp_path / "the-archive's-code-ran"
    (root / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\ndef run(*a, **k):\n    return ''\n", "utf-8")
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text("{{ config.__class__ }}", encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# 手册\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: 档案库自己的手册\n" + config, encoding="utf-8")
    done = _bangfu("build", "--out", str(tmp_path / "site"), cwd=root)
    assert done.returncode != 0
    shown = done.stderr + done.stdout
    assert said in shown and "Traceback" not in shown
    assert re.search(r"mkdocs\.yml:\d+: ", shown), shown  # the file and the line
    assert not marker.exists() and not (tmp_path / "site").exists()


def test_an_archives_plain_mkdocs_yml_still_builds(tmp_path):
    root = copy_samples(tmp_path / "archive")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# 本地手册\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: 档案库自己的手册\nnav:\n  - 首页: index.md\nplugins:\n  - search\n  - bangfu\n",
                                     encoding="utf-8")  # fmt: skip
    done = _bangfu("build", "--out", str(tmp_path / "site"), cwd=root)
    assert done.returncode == 0, done.stderr
    assert "本地手册" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")

"""Consistency: the categories `bangfu impact` predicts are exactly what `explain` and `validate` say once merged.

Across the sample archive and a small demo province: every active household is explained before and after the
change is written into standards.yaml, each on the date impact judged it (a household last checked before the
change's date is re-verified on that date: its survey date is moved there).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from site_support import copy_samples

from generator.cli import cli
from generator.history.impact import impact_of
from generator.records.dump import dump_record
from generator.rules.assess import assessment_date
from generator.rules.explain import explain_file
from generator.rules.facts import read_household
from generator.rules.impact import NOT_NEEDY
from generator.rules.standards import STANDARDS_PATH
from generator.validation.validate import validate_tree

DAY = dt.date(2020, 1, 1)
SETS = ("4601:城市低保标准=780@2020-01-01", "46:最低工资标准=2200@2020-01-01", "46:边缘倍数=1.7@2020-01-01")
ADOPTED = """\
  - 地区: "4601"
    生效日期: "2020-01-01"
    城市低保标准: 780
    依据: 测试：已合并的调整
  - 地区: "46"
    生效日期: "2020-01-01"
    最低工资标准: 2200
    边缘倍数: 1.7
    依据: 测试：已合并的调整
"""
TODAY = dt.date(2026, 11, 1)


def _demo(root: Path) -> Path:
    done = CliRunner().invoke(cli, ["demo", "--households", "400", "--out", str(root)])
    assert done.exit_code == 0, done.output
    return root


def _reverify_on(root: Path, day: dt.date) -> list[Path]:
    """Active households whose assessment date is before `day`: their survey moved to `day`. Returns all active files."""
    active = []
    for path in sorted((root / "records").glob("[0-9]*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data["状态"] in ("已解困脱困", "已注销"):
            continue
        active.append(path)
        own, _ = assessment_date(read_household(data, path.parent.name))
        if own < day:
            data["入户调查"]["调查日期"] = day.isoformat()
            path.write_text(dump_record(data), encoding="utf-8")
    return active


def _categories(root: Path, files: list[Path]) -> dict[str, str]:
    return {f"records/{p.parent.name}/{p.name}": explain_file(p, root, TODAY).category or NOT_NEEDY for p in files}


@pytest.mark.parametrize("source", ["samples", "demo"])
def test_impact_predicts_explain_and_validate(tmp_path, source) -> None:
    root = copy_samples(tmp_path / "archive", git=False) if source == "samples" else _demo(tmp_path / "archive")
    result = impact_of(root, sets=SETS, today=TODAY)
    assert result.day == DAY
    listed = {a.path: a for a in result.households}
    changed = {p: a for p, a in listed.items() if a.kind != "临界"}
    assert changed, "the change moves some households, or this test proves nothing"
    files = _reverify_on(root, DAY)
    before = _categories(root, files)
    standards = root / STANDARDS_PATH
    standards.write_text(standards.read_text(encoding="utf-8") + ADOPTED, encoding="utf-8")  # merged
    after = _categories(root, files)
    assert len(after) == result.assessed
    for path, category in after.items():
        if path in changed:
            assert (before[path], category) == (
                changed[path].before.category or NOT_NEEDY,
                changed[path].after.category or NOT_NEEDY,
            ), path
        else:
            assert category == before[path], path
    _, problems = validate_tree(root, use_cache=False)
    wrong = {p.path for p in problems if p.code in ("category", "dibao-card")}
    for path, item in changed.items():
        declared = item.household.declared
        assert (path in wrong) == (declared != (item.after.category or NOT_NEEDY)), path

"""`bangfu review BASE..HEAD`: a branch summarised for its reviewer, from a real repository."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from history_support import EDITOR, R4601, Archive, household, path_of

from generator.cli import cli
from generator.history.review import review

KEEP, RAISE, EXIT, DELETE, MOVE, NEW = "4601059001", "4601059002", "4601059003", "4601059004", "4601059005", "4601059006"
MOVED = "4601069005"


@pytest.fixture
def branch(tmp_path) -> Archive:
    """main with five households; branch `edit` raises an income, exits one, deletes one, moves one, adds one."""
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {n: household(n) for n in (KEEP, RAISE, EXIT, DELETE, MOVE)})
    repo.branch("edit")
    raised = household(RAISE, 本人月平均收入=2833, 家庭年度总收入=39996, 身份证号=household("4601059077")["身份证号"])
    exited = household(EXIT, 状态="已注销", 退出={"日期": "2020-01-01", "原因": "本人申请退出"})
    moved = household(MOVED, 身份证号=household(MOVE)["身份证号"])
    moved["家庭主要成员"] = household(MOVE)["家庭主要成员"]
    repo.commit(
        EDITOR,
        "Edit households",
        {RAISE: raised, EXIT: exited, DELETE: None, MOVE: None, MOVED: moved, NEW: household(NEW, 职工编号="4601059999")},
    )
    repo.checkout("main")
    return repo


def test_each_household_is_classified(branch):
    result = review(branch.root, "main..edit")
    kinds = {h.path: h.kind for h in result.households}
    assert kinds == {
        path_of(RAISE): "修改",
        path_of(EXIT): "退出",
        path_of(DELETE): "删除",
        path_of(MOVED): "迁移",
        path_of(NEW): "新增",
    }
    assert result.counts() == "新增 1 户，修改 1 户，退出 1 户，迁移 1 户，删除 1 户"
    assert [a.email for _, _, a in result.commits] == [EDITOR[1]]


def test_warnings_a_reviewer_must_see(branch):
    warnings = review(branch.root, "main..edit").warnings
    raise_id, raise_income, raise_category = [w for w in warnings if w.startswith(path_of(RAISE))]
    assert raise_id.startswith(f"{path_of(RAISE)}：身份证号被修改（身份证号：4601**********")
    assert raise_income == f"{path_of(RAISE)}：家庭年度总收入变化超过一半：24,000 → 39,996 元（+67%），请核对收入证明。"
    assert raise_category == f"{path_of(RAISE)}：认定结果改变：低保边缘户 → 不能认定为困难职工家庭。"
    assert (
        f"{path_of(DELETE)}：删除了档案文件。档案从不删除：退出应把状态改为“已解困脱困”或“已注销”并填写退出日期和原因。"
        in warnings
    )
    assert f"{path_of(MOVED)}：档案在地区之间迁移：秀英区（460105）→ 龙华区（460106），两地审核人都应知情。" in warnings


def test_changed_fields_consequence_and_validation_per_household(branch):
    by_path = {h.path: h for h in review(branch.root, "main..edit").households}
    exited = by_path[path_of(EXIT)]
    assert [c.text() for c in exited.details.fields] == [
        "状态：帮扶中 → 已注销",
        "退出.日期：（未填） → 2020-01-01",
        "退出.原因：（未填） → 本人申请退出",
    ]
    assert exited.problems == []
    raised = by_path[path_of(RAISE)]
    assert "家庭年度总收入：24,000 → 39,996 元" in [c.text() for c in raised.details.fields]
    assert [p.code for p in raised.problems] == ["category"]
    assert [p.code for p in by_path[path_of(NEW)].problems] == ["path-number"]


def test_two_different_people_are_never_taken_for_a_move(branch):
    """Git pairs the deleted and the added file by similarity; the 身份证号 says they are different people."""
    kinds = {h.path: (h.kind, h.old_path) for h in review(branch.root, "main..edit").households}
    assert kinds[path_of(DELETE)] == ("删除", None) and kinds[path_of(NEW)] == ("新增", None)


def test_markdown_is_ready_to_post(branch):
    text = review(branch.root, "main..edit").to_markdown()
    assert text.startswith("## 档案修改审阅\n\n`main..edit`：共同祖先 ")
    assert "**共 5 户**：新增 1 户，修改 1 户，退出 1 户，迁移 1 户，删除 1 户。校验：❌" in text
    assert "### ⚠ 审核人须注意" in text
    assert f"### 修改 · {RAISE} 测\\*甲（秀英区）\n\n`{path_of(RAISE)}`\n\n- 身份证号：" in text  # * is not emphasis
    assert "- **认定结果：低保边缘户 → 不能认定为困难职工家庭**" in text
    assert f"### 迁移 · {MOVED} 测\\*甲（龙华区）\n\n`{path_of(MOVED)}`（原 `{path_of(MOVE)}`）" in text
    assert "测试甲" not in text  # names are masked in a comment anyone on the pull request can read


def test_json_carries_the_same_facts(branch):
    data = json.loads(review(branch.root, "main..edit").to_json())
    assert data["统计"] == {"新增": 1, "修改": 1, "退出": 1, "迁移": 1, "删除": 1}
    household = next(h for h in data["档案"] if h["路径"] == path_of(RAISE))
    assert household["认定结果（修改前）"] == "低保边缘户" and household["校验"][0]["code"] == "category"


def test_a_clean_branch_passes(branch):
    branch.branch("clean")
    branch.commit(EDITOR, "Assistance", {KEEP: household(KEEP, 备注="送温暖")})
    result = review(branch.root, "main..clean")
    assert result.errors == 0 and result.warnings == []
    assert "校验：✅ 通过" in result.to_markdown()


def test_review_command(branch):
    runner = CliRunner()
    ok = runner.invoke(cli, ["review", "main..edit", "--root", str(branch.root)], catch_exceptions=False)
    assert ok.exit_code == 0 and ok.output.startswith("## 档案修改审阅")
    bad = runner.invoke(cli, ["review", "main", "--root", str(branch.root)])
    assert bad.exit_code == 2 and "“main”不是 BASE..HEAD 形式" in bad.output
    missing = runner.invoke(cli, ["review", "main..nowhere", "--root", str(branch.root)])
    assert missing.exit_code == 1 and "找不到提交或分支“nowhere”" in missing.output


@pytest.mark.parametrize("amount", [24000, 937.5, 0.125, 2.675, 1234567.891, 0, -12.005])
def test_an_amount_reads_the_same_in_the_review_the_page_and_the_trace(amount):
    """The review diff rounded half to even (0.125 → 0.12) where the pages and the trace round half up (0.13)."""
    from decimal import Decimal

    from generator.history.diff import money
    from generator.rules.trace import yuan
    from generator.site.render import yuan as page_yuan

    assert money(amount) == page_yuan(amount) == yuan(Decimal(str(amount)))


def test_the_review_says_where_its_commits_are(branch):
    """Issue 15 item 2: the review names where the reviewed commits are (full ref names)."""
    text = review(branch.root, "main..edit").to_markdown()
    assert "\n\n提交位置：只在 refs/heads/edit 上，尚未合并到 refs/heads/main。\n\n" in text, text
    assert (
        json.loads(review(branch.root, "main..edit").to_json())["提交位置"]
        == "只在 refs/heads/edit 上，尚未合并到 refs/heads/main"
    )
    branch.checkout("edit")
    assert review(branch.root, "main..HEAD").location == "只在 refs/heads/edit 上，尚未合并到 refs/heads/main"
    branch.merge("edit", R4601, 3)
    assert review(branch.root, "main~1..main").location == "已在 refs/heads/main 上"

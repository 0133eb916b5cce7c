"""This repository's own sample archive moved to signed approvals: forward on main, never by rewriting it.

The sample reviewers' keys were registered by a province-approved settings merge, 要求签名 was set by a merge
signed with a registered key, and every sample approval since is signed. The private halves are the published
fakes in tests/fixtures/sample-keys: here they sign new approvals in a clone, and the audit tells them apart
from an unsigned or wrongly signed merge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from history_support import git

from generator.access.reviewers import parse_reviewers
from generator.errors import RecordError
from generator.history.audit import audit
from generator.history.log import VERIFIED

pytestmark = pytest.mark.xdist_group("sample_history")

KEYS = REPO / "tests" / "fixtures" / "sample-keys"
REVIEWERS = "records/_settings/reviewers.yaml"
EDITOR = ("示例秀英编辑", "editor-460105@example.invalid")
REVIEWER = ("示例秀英审核员", "reviewer-460105@example.invalid")
RECORD = "records/460105/4601050001.yaml"
VISIT = '  - 日期: "2026-12-02"\n    帮扶类型: 送温暖慰问\n    金额: 600\n    帮扶人: 蔡示例丁\n'


def sample_list() -> dict:
    return yaml.safe_load((REPO / REVIEWERS).read_text(encoding="utf-8"))


def first_parent_line(root: Path) -> list[str]:
    out = git(root, "rev-list", "--first-parent", "refs/heads/main")
    return out.split()


def requiring_merge(root: Path) -> str:
    """The first-parent commit of main that set 要求签名 in the reviewers list."""
    out = git(root, "log", "--first-parent", "--format=%H", "-G^要求签名:", "refs/heads/main", "--", REVIEWERS)
    found = out.split()
    assert found, "要求签名 was never set on main"
    return found[-1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository (every object, as an auditor's copy has)."""
    root = tmp_path_factory.mktemp("sample-history") / "clone"
    subprocess.run(["git", "clone", "-q", "--no-local", str(REPO), str(root)], check=True, capture_output=True)
    git(root, "switch", "-q", "-C", "main", "origin/main" if _has_origin_main(root) else "HEAD")
    return root


def _has_origin_main(root: Path) -> bool:
    done = subprocess.run(["git", "rev-parse", "--verify", "-q", "refs/remotes/origin/main"], cwd=root, capture_output=True)
    return done.returncode == 0


def key(tmp_path: Path, account: str) -> Path:
    """A private sample key copied with the mode ssh-keygen insists on (git does not keep modes)."""
    copy = tmp_path / account
    shutil.copyfile(KEYS / account, copy)
    copy.chmod(0o600)
    return copy


def test_every_sample_reviewer_has_a_published_fake_key_and_signatures_are_required():
    data = sample_list()
    assert data["示例数据"] == "是"
    assert data["要求签名"] == "2026-12-02"
    for person in data["审核人"]:
        account = person["账号"]
        published = (KEYS / f"{account}.pub").read_text(encoding="utf-8").split()[:2]
        registered = [k["公钥"].split()[:2] for k in person["公钥"]]
        assert registered == [published], account
        assert "FAKE-SAMPLE-KEY" in (KEYS / f"{account}.pub").read_text(encoding="utf-8")


def test_every_approval_since_signatures_were_required_is_signed_and_verified(clone):
    report = audit(clone, rev="refs/heads/main")
    assert report.ok, report.to_text()
    line = first_parent_line(clone)
    required_at = line.index(requiring_merge(clone))  # 0 = newest
    merges = [c for c in report.audited if c.merge]
    since = [c for c in merges if line.index(c.sha) <= required_at]
    before = [c for c in merges if line.index(c.sha) > required_at]
    assert len(since) >= 3 and all(c.signature == VERIFIED and not c.notes for c in since), [
        (c.short, c.signature, c.notes) for c in since
    ]
    # The older approvals were made before any key was registered: they stay, marked, and are not rewritten.
    assert before and all(c.notes for c in before)
    text = report.to_text()
    assert f"签名已核验：{len(since)} 个审批合并" in text
    assert f"提示：{len(before)} 个审批合并没有签名" in text


def approve_a_visit(clone: Path, tmp_path: Path, sign: Path | None) -> Path:
    """A new clone where the 秀英 editor records a visit and the 秀英 reviewer merges it, signed with `sign`."""
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(clone), str(work)], check=True, capture_output=True)
    git(work, "switch", "-q", "-c", "editor-460105/visit", "refs/remotes/origin/main")
    with (work / RECORD).open("a", encoding="utf-8") as out:
        out.write(VISIT)
    git(work, "commit", "-q", "-am", "Record a visit", who=EDITOR)
    git(work, "switch", "-q", "-C", "main", "refs/remotes/origin/main")
    git(work, "merge", "-q", "--no-ff", "-m", "Merge pull request #90", "refs/heads/editor-460105/visit", who=REVIEWER,
        sign=sign)  # fmt: skip
    return work


def test_a_sample_reviewer_signs_a_new_approval_with_the_published_key(clone, tmp_path):
    work = approve_a_visit(clone, tmp_path, key(tmp_path, "reviewer-460105"))
    report = audit(work, rev="refs/heads/main")
    assert report.ok, report.to_text()
    newest = report.audited[0]
    assert newest.approver.email == REVIEWER[1] and newest.signature == VERIFIED


@pytest.mark.parametrize(
    ("signer", "expected"),
    [
        (None, "合并没有签名，而审核人名单自 2026-12-02 起要求每个审批合并都由审批人签名"),
        ("reviewer-469005", "合并由 reviewer-469005@example.invalid 的公钥签名，不是审批人"),
    ],
)
def test_an_unsigned_or_wrongly_signed_approval_is_now_an_error(clone, tmp_path, signer, expected):
    work = approve_a_visit(clone, tmp_path, key(tmp_path, signer) if signer else None)
    report = audit(work, rev="refs/heads/main")
    assert not report.ok
    assert [c.short for c in report.findings] == [report.audited[0].short]
    assert expected in " ".join(report.findings[0].reasons)


def test_a_list_in_use_refuses_the_published_sample_keys():
    text = (REPO / REVIEWERS).read_text(encoding="utf-8").replace("示例数据: 是", "示例数据: 否")
    with pytest.raises(RecordError) as raised:
        parse_reviewers(text.encode("utf-8"))
    problems = raised.value.problems
    assert {p.code for p in problems} == {"reviewers-sample-key"}
    assert len(problems) == len(sample_list()["审核人"])
    assert "私钥随程序的测试公开" in problems[0].message
    assert problems[0].line is not None

"""`bangfu audit`: every change on main that did not arrive as a merge approved by an authorised reviewer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from generator.access.reviewers import describe
from generator.errors import HistoryError
from generator.history.log import BASELINE, NOT_A_REPO, VERIFIED, Commit, History, read_history
from generator.history.signatures import NOT_VERIFIABLE

SHOWN_FILES = 5
SHOWN_NOTED = 10


@dataclass
class AuditReport:
    """The audited commits of main's first-parent line and those that fail the approval rule."""

    history: History
    rev: str
    since: str | None

    @property
    def findings(self) -> list[Commit]:
        return self.history.unapproved_commits()

    @property
    def audited(self) -> list[Commit]:
        return [c for c in self.history.commits if c.status != BASELINE]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_text(self) -> str:
        """Located Chinese lines, then one verdict line."""
        head = self.history.head or ""
        scope = f"{self.since}..{self.rev}" if self.since else self.rev
        baseline = len(self.history.commits) - len(self.audited)
        lines = [f"警告：{w}" for w in self.history.warnings]
        lines.append(
            f"审计 {scope}（{head[:8]}）的第一父提交线：须审批的提交 {len(self.audited)} 个"
            + (f"，另有审计起点及之前的 {baseline} 个导入提交不审核" if baseline else "")
            + "。"
        )
        for commit in self.findings:
            how = f"合并请求 {commit.pr}，" if commit.pr else ("合并，" if commit.merge else "")
            who = f"合并人 {commit.approver}" if commit.merge and commit.approver else f"作者 {commit.author}"
            lines.append(f"{commit.short} {commit.date[:10]} {how}{who}：{' '.join(commit.reasons)}")
            files = [f.path for f in commit.files]
            more = f" 等 {len(files)} 个文件" if len(files) > SHOWN_FILES else ""
            lines.append(
                f"    地区：{'、'.join(describe(r) for r in commit.regions)}；文件：{'、'.join(files[:SHOWN_FILES])}{more}"
            )
        verified = [c for c in self.audited if c.signature == VERIFIED]
        if verified:
            lines.append(f"签名已核验：{len(verified)} 个审批合并有审批人（或签名合并方）在合并前已登记的公钥的有效签名。")
        noted = [c for c in self.history.commits if c.notes]
        if noted:
            shown = "、".join(c.short for c in noted[:SHOWN_NOTED]) + (" 等" if len(noted) > SHOWN_NOTED else "")
            lines.append(
                f"提示：{len(noted)} 个审批合并没有签名"
                f"（{NOT_VERIFIABLE}；合并时审核人名单尚未要求签名，不算未经审批）：{shown}。"
            )
        if self.findings:
            lines.append(
                f"结论：{len(self.findings)} 个提交未经有效审批"
                "（直接提交、自审自批、合并人无权审批、在合并时自己改动或签名无法验证等）。"
            )
        else:
            lines.append("结论：全部经过有效审批。")
        return "\n".join(lines)

    def to_json(self) -> str:
        data = {
            "范围": f"{self.since}..{self.rev}" if self.since else self.rev,
            "提交": self.history.head,
            "警告": self.history.warnings,
            "审计提交数": len(self.audited),
            "通过": self.ok,
            "签名已核验的审批合并": [c.sha for c in self.audited if c.signature == VERIFIED],
            "签名无法验证的审批合并": [c.sha for c in self.history.commits if c.notes],
            "未经审批": [c.to_dict() for c in self.findings],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def audit(root: Path, since: str | None = None, rev: str | None = None) -> AuditReport:
    """Walk main's first-parent line (after `since`) and judge every commit that needs approval."""
    rev = rev or _main(Path(root))
    history = read_history(Path(root), rev, since=since)
    if NOT_A_REPO in history.warnings:
        raise HistoryError(NOT_A_REPO)
    return AuditReport(history, rev, since)


def _main(root: Path) -> str:
    """main when the repository has it (the audit is of main, whatever is checked out), else HEAD."""
    from generator.history.git import open_archive

    archive = open_archive(root)
    if archive is not None and archive.git("rev-parse", "--verify", "--quiet", "refs/heads/main", check=False):
        return "refs/heads/main"  # never a tag that happens to be called main
    return "HEAD"

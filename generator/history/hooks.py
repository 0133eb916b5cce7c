"""Enforcement without a forge (a pre-receive hook) and with one (CODEOWNERS from the reviewers file)."""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shlex
import sys
from pathlib import Path

from generator import PACKAGE_DIR, gitrun
from generator.access import reviewers as reviewers_file
from generator.access.reviewers import SETTINGS_PREFIX, load_reviewers
from generator.errors import BangfuError, UsageError
from generator.history.git import (
    ZERO,
    GitArchive,
    checked_out,
    non_regular,
    non_regular_message,
    open_archive,
    repository_at,
)
from generator.history.log import BASELINE, read_history
from generator.rules.regions import regions
from generator.validation.validate import validate_tree

MARK = "# bangfu pre-receive hook"
SHOWN = 30
FLAVOURS = ("github", "gitlab", "gitea")
# Refs other than branches and tags that the server accepts: values of this key in the bare repository's
# own config (git config --add bangfu.allowRefs 'refs/notes/*'), never anything a push can carry.
ALLOW_KEY = "bangfu.allowRefs"
ACCEPTED = ("refs/heads/", "refs/tags/")
# Where the authenticated pusher comes from: set once by the server administrator in the bare repository's own
# config (git config bangfu.pusherSource ssh); the hook reads that one variable and no other.
PUSHER_KEY = "bangfu.pusherSource"
PUSHER_SOURCES = {
    "gitea": "GITEA_PUSHER_NAME",  # Gitea and Forgejo
    "gitlab": "GL_USERNAME",
    "http": "REMOTE_USER",  # git-http-backend behind a web server that authenticates
    "ssh": "BANGFU_PUSHER",  # set by the forced command of each key in authorized_keys (see docs/history.md)
}


def install_hook(bare: Path, branch: str = "main", *, force: bool = False, pusher_source: str | None = None) -> Path:
    """Write hooks/pre-receive into a bare repository; it runs this very interpreter and package."""
    repo = repository_at(bare)
    if repo is None:
        raise UsageError(f"{bare} 不是 git 仓库。")
    if not repo.bare:
        raise UsageError(f"{bare} 不是裸仓库（服务器上的仓库应以 git init --bare 创建）。")
    try:
        repo.git("check-ref-format", "--branch", branch)
        if branch == "HEAD" or branch.startswith(("-", "refs/")):
            raise gitrun.GitFailed(("check-ref-format",), 1, "")
    except gitrun.GitFailed:
        raise UsageError(f"“{branch}”不是有效的分支名。") from None
    target = Path(repo.git_dir) / "hooks" / "pre-receive"
    if target.exists() and MARK not in target.read_text(encoding="utf-8", errors="replace") and not force:
        raise UsageError(f"{target} 已有别的 pre-receive 钩子；确认要替换时加 --force。")
    _check_hooks_path(repo, target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.git("config", "receive.fsckObjects", "true")  # malformed objects (bad modes, paths like .git/) are refused
    repo.git("config", "core.logAllRefUpdates", "always")  # the server's reflog: which account moved which ref, when
    if pusher_source is not None:
        if pusher_source not in PUSHER_SOURCES:
            raise UsageError(f"不认识的推送人来源“{pusher_source}”，可选：{'、'.join(PUSHER_SOURCES)}。")
        repo.git("config", "--local", PUSHER_KEY, pusher_source)
    code = "import sys; from generator.history.hooks import main; sys.exit(main(sys.argv[1:]))"
    # Absolute paths: git runs hooks with a bare environment, where neither the venv nor bangfu is on PATH.
    target.write_text(
        "#!/bin/sh\n"
        f"{MARK}: refuses pushes to {branch} whose records fail validation or that are not a merge\n"
        "# by an authorised reviewer other than the author. Installed by `bangfu hook install`.\n"
        f"PYTHONPATH={shlex.quote(str(PACKAGE_DIR.parent))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        "GIT_NO_REPLACE_OBJECTS=1\nexport GIT_NO_REPLACE_OBJECTS\n"
        f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)} --branch {shlex.quote(branch)}\n",
        encoding="utf-8",
    )
    target.chmod(0o755)
    return target


def _check_hooks_path(repo: GitArchive, hooks: Path) -> None:
    """A core.hooksPath elsewhere (repository, global or system config) would leave the installed hook unused."""
    configured = repo.git("config", "--get", "core.hooksPath", check=False)
    if configured and (Path(repo.git_dir) / Path(configured).expanduser()).resolve() != hooks.resolve():
        raise UsageError(
            f"服务器的 git 设置了 core.hooksPath={configured}，不是 {hooks}：装在这里的钩子不会运行。"
            "请先去掉这个设置（仓库、全局或系统设置中的 core.hooksPath）。"
        )


def main(argv: list[str] | None = None) -> int:
    """The hook itself: read "old new ref" lines from git, print the verdict in Chinese, exit 0 or 1."""
    parser = argparse.ArgumentParser(prog="pre-receive")
    parser.add_argument("--branch", default="main")
    args = parser.parse_args(argv)
    lines = sys.stdin.read().splitlines()
    try:
        messages = pre_receive(Path.cwd(), lines, args.branch)
    except BangfuError as exc:
        messages = [f"bangfu：无法检查这次推送：{exc.format_message()}"]
    for message in messages:
        print(message, file=sys.stderr)
    return 1 if messages else 0


def pre_receive(repo_dir: Path, lines: list[str], branch: str = "main") -> list[str]:
    """Why the push must be refused (empty: accept).

    Every ref must be a branch or a tag (or allowed by the server's bangfu.allowRefs), never a replace
    ref, and no branch or tag may take the protected branch's name; the protected branch is checked in full.
    """
    protected = f"refs/heads/{branch}"
    archive = open_archive(repo_dir)
    allowed = _allowed_refs(archive)
    refs: list[str] = []
    refused: list[str] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        if ref == protected:
            refused += _check_update(repo_dir, old, new, branch)
        else:
            refs += _check_ref(ref, new, branch, allowed)
    if refused:
        refused = [
            f"拒绝推送到 {branch}：",
            *refused,
            f"请在分支上修改，发起合并请求，由有权审批的审核人（不是作者本人）用 git merge --no-ff 合并到 {branch}。",
        ]
    return (["拒绝这次推送：", *refs] if refs else []) + refused


def _allowed_refs(archive: GitArchive) -> list[str]:
    """Patterns of further refs the server accepts, from the bare repository's own config file only."""
    try:
        return archive.git("config", "--local", "--get-all", ALLOW_KEY).splitlines()
    except gitrun.GitFailed:
        return []  # not set


def _check_ref(ref: str, new: str, branch: str, allowed: list[str]) -> list[str]:
    """Why a push to a ref other than the protected branch is refused (empty: accept)."""
    if ref.startswith("refs/replace/"):
        return [f"  不允许推送 {ref}：replace 引用让 git 把一个提交当作另一个来显示，能掩盖未经审批的修改。"]
    if ref.startswith(ACCEPTED):
        short = ref.split("/", 2)[2]
        if new != ZERO and _confusable(short, branch):
            return [f"  不允许推送 {ref}：这个名字会与受保护的分支 {branch} 混淆（git 读“{branch}”时可能读到它）。"]
        return []
    if any(fnmatch.fnmatchcase(ref, pattern) for pattern in allowed):
        return []
    return [
        f"  不允许推送 {ref}：服务器只接受分支（refs/heads/）和标签（refs/tags/）。"
        f"确需其他引用时，由服务器管理员在裸仓库中设置 git config --add {ALLOW_KEY} '<模式>'。"
    ]


def _confusable(short: str, branch: str) -> bool:
    """A branch or tag name git could take for the protected branch (a tag `main`, a branch `heads/main`)."""
    if short in ("HEAD", branch) or short.startswith("refs/"):
        return True
    return short in {f"{kind}/{branch}" for kind in ("heads", "tags", "remotes")}


def _check_update(repo_dir: Path, old: str, new: str, branch: str) -> list[str]:
    if new == ZERO:
        return [f"不允许删除 {branch}。"]
    archive = open_archive(repo_dir)
    if old != ZERO and not archive.is_ancestor(old, new):
        return [f"不允许改写 {branch} 的历史（强制推送）：{old[:8]} 不在新提交 {new[:8]} 的历史中。改写历史会抹去审计线索。"]
    wrong = non_regular(archive, new)
    if wrong:  # never materialised, never followed
        out = ["档案中有非普通文件："] + [f"  {non_regular_message(*w)}" for w in wrong]
    else:
        out = _invalid(archive, new)
    # The first push to an empty server is the initial import; its 审计起点 (if any) applies once.
    history = read_history(repo_dir, new, since=None if old == ZERO else old, baseline=old == ZERO)
    for commit in history.unapproved_commits():
        out.append(f"  {commit.short} {commit.subject}：{' '.join(commit.reasons)}")
    return out + _check_pusher(archive, history)


ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,38}")  # as in schema/reviewers.schema.json


def authorized_keys_line(account: str, public_key: str, git_shell: str = "git-shell") -> str:
    """The line of the git account's ~/.ssh/authorized_keys for one person's key: whatever command the client asks
    for goes to git-shell (so only git's own commands run), and the hook learns the account from BANGFU_PUSHER."""
    if not ACCOUNT.fullmatch(account):
        raise UsageError(f"账号“{account}”不合规：只能用字母、数字和 . _ -，以字母或数字开头。")
    key = public_key.split()
    if len(key) < 2 or not re.fullmatch(r"[A-Za-z0-9@.-]+", key[0]) or not re.fullmatch(r"[A-Za-z0-9+/]+={0,3}", key[1]):
        raise UsageError("公钥格式不对：应为公钥文件（如 id_ed25519.pub）的内容。")
    if not re.fullmatch(r"/?[A-Za-z0-9/._-]+", git_shell):
        raise UsageError(f"git-shell 路径“{git_shell}”不合规。")
    command = f'env BANGFU_PUSHER={account} {git_shell} -c \\"$SSH_ORIGINAL_COMMAND\\"'
    return f'command="{command}",restrict {key[0]} {key[1]} {account}'


def pusher_source_configured(bare: Path) -> bool:
    """Whether the bare repository's own config names where the pusher comes from."""
    repo = repository_at(bare)
    return repo is not None and bool(repo.git("config", "--local", "--get", PUSHER_KEY, check=False))


def pusher(archive: GitArchive) -> tuple[str | None, str]:
    """(the authenticated account pushing, or None; why it is unknown), from the one source the server names."""
    try:
        source = archive.git("config", "--local", "--get", PUSHER_KEY).strip()
    except gitrun.GitFailed:
        return None, (
            f"服务器没有设定推送人的来源：请服务器管理员在裸仓库中设置 git config {PUSHER_KEY} "
            f"{'|'.join(PUSHER_SOURCES)}（见 docs/history.md）。"
        )
    variable = PUSHER_SOURCES.get(source)
    if variable is None:
        return None, f"服务器设定的推送人来源 {PUSHER_KEY}={source} 无效，可选：{'、'.join(PUSHER_SOURCES)}。"
    name = os.environ.get(variable, "").strip()
    if not name:
        return None, f"服务器没有提供推送人（{source}：{variable} 为空），无法确认是谁推送的。"
    return name, ""


def _check_pusher(archive: GitArchive, history) -> list[str]:
    """An approving merge reaches main only when pushed by its approver's own account (or by its signing merger)."""
    approving = [c for c in history.commits if c.merge and c.approved and c.status != BASELINE]
    if not approving:
        return []
    name, why = pusher(archive)
    if name is None:
        return [f"  无法确认推送人：{why}推送审批合并须由审批人本人的账号推送。"]
    return [
        f"  {c.short} {c.subject}：推送人 {name} 不是审批人 {c.approver} 的账号"
        f"（审核人名单中登记的账号：{'、'.join(c.accounts) or '无'}）。审批合并必须由审批人本人推送。"
        for c in approving
        if name not in c.accounts
    ]


def _invalid(archive, rev: str) -> list[str]:
    """Validation errors of the whole tree at rev, at most SHOWN of them."""
    with checked_out(archive, rev, Path(archive.git_dir)) as tree:
        _, problems = validate_tree(tree)
        problems += reviewers_file.check_reviewers(tree)
    errors = sorted((p for p in problems if p.is_error), key=lambda p: (p.path, p.line or 0))
    if not errors:
        return []
    shown = [f"  {p.to_text().splitlines()[0]}" for p in errors[:SHOWN]]
    more = [f"  ……另有 {len(errors) - SHOWN} 个错误，请在本地运行 bangfu validate 查看。"] if len(errors) > SHOWN else []
    return [f"档案校验未通过（{len(errors)} 个错误）："] + shown + more


def codeowners(root: Path, flavour: str = "github") -> str:
    """CODEOWNERS text for a forge: each county's records are owned by every reviewer whose scope contains it."""
    if flavour not in FLAVOURS:
        raise UsageError(f"不认识的平台“{flavour}”，可选：{'、'.join(FLAVOURS)}。")
    listed = load_reviewers(Path(root))
    table = regions()
    out = [
        "# 由 bangfu codeowners 根据 records/_settings/reviewers.yaml 生成，请勿手工修改；名单变了就重新生成。",
        "# 某县（市、区）的档案由该县、所属市和省的审核人负责审批；设置文件由省级审核人负责。",
    ]
    skipped: set[str] = set()
    rules = [(SETTINGS_PREFIX, table.province, "设置文件：省级审核人")]
    rules += [(f"records/{county}/", county, f"{table.full_name(county)}（{county}）") for county in table.counties()]
    for directory, region, label in rules:
        owners = []
        for reviewer in listed.for_region(region):
            if flavour == "gitea" and not reviewer.account:
                skipped.add(reviewer.email)  # Gitea names owners by account only
                continue
            owner = f"@{reviewer.account}" if reviewer.account else reviewer.email
            if owner not in owners:
                owners.append(owner)
        pattern = f"{directory}.*" if flavour == "gitea" else f"/{directory}"  # Gitea: Go regular expressions
        out.append(f"# {label}")
        out.append(f"{pattern} {' '.join(owners)}" if owners else f"# {pattern}：没有审核人")
    if skipped:
        out.append(f"# 以下审核人没有填写“账号”，Gitea 无法列为负责人：{'、'.join(sorted(skipped))}")
    return "\n".join(out) + "\n"

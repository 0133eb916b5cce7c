"""`bangfu history`, `bangfu review`, `bangfu audit`, `bangfu hook install`, `bangfu codeowners`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from generator.errors import UsageError
from generator.history.audit import audit
from generator.history.hooks import (
    FLAVOURS,
    PUSHER_SOURCES,
    authorized_keys_line,
    codeowners,
    install_hook,
    pusher_source_configured,
)
from generator.history.log import MAIN_REF, history_rev, read_history
from generator.history.review import review

ROOT = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), help="档案库根目录（含 records/）。"
)


@click.command("history")
@click.argument("record", metavar="档案文件")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@ROOT
def history_command(record: str, fmt: str, root: Path) -> None:
    """一户档案的修改历史：每次修改的日期、编辑、审批人和改了哪些字段，最新的在前。

    \b
    只算已进入 main 的修改；“未经审批”表示直接提交、自审自批、合并人无权审批，
    或合并人在合并时自己的改动（合并结果与 git 自动合并不同）。
    \b
    例：
      bangfu history records/460105/4601050001.yaml
    """
    path = Path(record).as_posix().removeprefix("./")
    rev, branch = history_rev(root)
    history = read_history(root, rev)
    history.fill([path])
    changes = history.for_path(path)
    pending = [c for c in branch.commits if any(path in (f.path, f.old_path) for f in c.files)] if branch else []
    if fmt == "json":
        data = {"警告": history.warnings, "修改": [c.to_dict() for c in changes]}
        if branch:
            data["分支"] = branch.ref
            data["未合并的提交"] = [
                {"提交": c.sha, "日期": c.date[:10], "作者": c.author.to_dict(), "说明": c.subject, "位置": branch.where()}
                for c in pending
            ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for warning in history.warnings:
        click.echo(f"警告：{warning}")
    if pending:
        click.echo(f"当前 {branch.ref} 上有 {len(pending)} 个提交改了这户档案，{branch.where()}（合并时由审核人审批）：")
        for commit in pending:
            click.echo(f"  {commit.date[:10]} {commit.sha[:8]} 编辑 {commit.author.name}：{commit.subject}")
        click.echo(f"以下是 {MAIN_REF} 上的修改记录：")
    if not changes:
        click.echo(f"{path}：{MAIN_REF if rev == MAIN_REF else 'main'} 上没有这户档案的修改记录。")
    for change in changes:
        click.echo(change.summary() + ("" if change.approved else f"：{' '.join(change.reasons)}"))
        for line in change.lines():
            click.echo(f"    {line}")


@click.command("review")
@click.argument("spec", metavar="BASE..HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="输出格式；markdown 可直接贴到合并请求的评论中。",
)
@ROOT
def review_command(spec: str, fmt: str, root: Path) -> None:
    """为审核人汇总一个分支对档案的修改：逐户列出新增、修改、退出，字段的旧值和新值，
    校验结果，认定结果的变化，以及审核人须注意的情况（删除档案、改身份证号、收入变化超过一半、跨地区迁移、
    改设置、程序、模式或持续集成文件，合并提交中合并人自己的改动）。输出中来自档案和提交的文字都已转义。

    \b
    例：
      bangfu review main..editor/fix-income
      bangfu review origin/main..HEAD --format json
    """
    result = review(root, spec)
    click.echo(result.to_json() if fmt == "json" else result.to_markdown(), nl=fmt == "json")


@click.command("audit")
@click.option("--since", metavar="REV", help="只审计这个提交之后的修改。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@ROOT
def audit_command(since: str | None, fmt: str, root: Path) -> None:
    """沿 main 的第一父提交线审计每个须审批的提交：列出没有经过合并请求、由作者本人（或提交人、
    共同作者）合并、合并人无权审批所涉地区，或合并人在合并时自己改动的修改。有这样的修改时退出码为 1。

    \b
    审核人名单见 records/_settings/reviewers.yaml；审批权限以合并前 main 上最后一次经过审批的名单为准。
    \b
    例：
      bangfu audit
      bangfu audit --since v2024.1 --format json
    """
    report = audit(root, since)
    click.echo(report.to_json() if fmt == "json" else report.to_text())
    raise SystemExit(0 if report.ok else 1)


@click.group("hook")
def hook() -> None:
    """git 钩子：在没有代码托管平台的内网服务器上强制审批规则。"""


@hook.command("install")
@click.option("--bare", "bare", required=True, type=click.Path(file_okay=False, path_type=Path), help="服务器上的裸仓库。")
@click.option("--branch", default="main", show_default=True, help="受保护的分支。")
@click.option("--force", is_flag=True, help="替换已有的其他 pre-receive 钩子。")
@click.option(
    "--pusher-source",
    type=click.Choice(sorted(PUSHER_SOURCES)),
    help="推送人从哪里来：gitea（GITEA_PUSHER_NAME）、gitlab（GL_USERNAME）、http（网页服务器的 REMOTE_USER）、"
    "ssh（authorized_keys 中每把公钥的强制命令设置的 BANGFU_PUSHER）。写入裸仓库的 bangfu.pusherSource。",
)
def hook_install(bare: Path, branch: str, force: bool, pusher_source: str | None) -> None:
    """在裸仓库中安装 pre-receive 钩子：推送到 main 时，档案校验不通过、
    或新提交不是由有权审批的审核人（不是作者本人）合并的，推送被拒绝并说明原因。

    \b
    钩子使用本机这个 bangfu（写入了 Python 解释器的绝对路径）。
    \b
    例：
      bangfu hook install --bare /srv/git/bangfu.git --pusher-source ssh
    """
    target = install_hook(bare, branch, force=force, pusher_source=pusher_source)
    click.echo(f"已安装：{target}（保护分支 {branch}；已设置 receive.fsckObjects=true、core.logAllRefUpdates=always）")
    click.echo(
        "注意：能登录服务器 shell 的人可以跳过钩子推送。推送的人只能经代码托管平台，或经登录 shell 为 git-shell 的 ssh 账号"
        "（见 docs/history.md“服务器上谁能推送、怎样推送”）。"
    )
    if pusher_source is None and not pusher_source_configured(bare):
        click.echo(f"注意：还没有设定推送人的来源（--pusher-source）：在设定之前，审批合并都推送不到 {branch}。")


@hook.command("authorized-key")
@click.option("--account", required=True, help="此人在服务器上的账号（审核人名单中“账号”的写法）。")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="此人的公钥文件（如 id_ed25519.pub）。",
)
@click.option("--git-shell", "git_shell", default="git-shell", show_default=True, help="服务器上 git-shell 的路径。")
def hook_authorized_key(account: str, key_file: Path, git_shell: str) -> None:
    """输出 git 账号 ~/.ssh/authorized_keys 中这把公钥的一行：用这把钥匙登录的人只能执行 git 的推送和拉取命令，
    钩子从强制命令设置的 BANGFU_PUSHER 得知推送人（服务器须设 bangfu.pusherSource=ssh）。

    \b
    例：
      bangfu hook authorized-key --account zhangsan --key zhangsan.pub >> ~git/.ssh/authorized_keys
    """
    try:
        text = key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"无法读取公钥文件 {key_file}：{exc}") from None
    click.echo(authorized_keys_line(account, text.strip(), git_shell))


@click.command("codeowners")
@click.option(
    "--platform",
    "flavour",
    type=click.Choice(FLAVOURS),
    default="github",
    show_default=True,
    help="代码托管平台：github、gitlab 用路径规则，gitea 用正则表达式。",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="写入此文件（默认输出到屏幕）。")
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="只检查此文件是否与审核人名单一致；不一致时退出码为 1。",
)
@ROOT
def codeowners_command(flavour: str, output: Path | None, check_file: Path | None, root: Path) -> None:
    """由审核人名单（records/_settings/reviewers.yaml）生成 CODEOWNERS，
    让代码托管平台要求所涉地区的审核人批准合并请求。

    \b
    例：
      bangfu codeowners --output .github/CODEOWNERS
      bangfu codeowners --platform gitea --output .gitea/CODEOWNERS
      bangfu codeowners --check .github/CODEOWNERS
    """
    text = codeowners(root, flavour)
    if check_file is not None:
        if not check_file.is_file():
            raise UsageError(f"文件不存在：{check_file}")
        if check_file.read_text(encoding="utf-8") != text:
            click.echo(f"{check_file} 与审核人名单不一致，请运行 bangfu codeowners --platform {flavour} --output {check_file}。")
            raise SystemExit(1)
        click.echo(f"{check_file} 与审核人名单一致。")
        return
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"已写入 {output}。")


COMMANDS = [history_command, review_command, audit_command, hook, codeowners_command]

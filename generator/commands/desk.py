"""CLI commands: desk (the caseworker's desk: its systemd unit)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("desk")
def desk_command():
    """编辑台：经办人在浏览器中修改档案、审核人审批（见 docs/desk.md）。"""


@desk_command.command("unit")
@click.option("--root", type=click.Path(path_type=Path), required=True, help="服务器上编辑台专用的档案库（git 仓库）的绝对路径。")
@click.option(
    "--key",
    type=click.Path(path_type=Path),
    required=True,
    help="编辑台签名合并用的 SSH 私钥（公钥登记在 reviewers.yaml 的签名合并方中）。",
)
@click.option("--merger", required=True, help="编辑台在 reviewers.yaml“签名合并方”中的邮箱。")
@click.option(
    "--secret-file", type=click.Path(path_type=Path), required=True, help="签名会话 cookie 的密钥文件（随机内容，仅编辑台可读）。"
)
@click.option(
    "--socket",
    type=click.Path(path_type=Path),
    default=Path("/run/bangfu/desk.sock"),
    show_default=True,
    help="gunicorn 监听的 unix 套接字；与 deploy-config --desk-socket 相同。",
)
@click.option("--account", default="bangfu-desk", show_default=True, help="运行编辑台的系统账号（nginx 的用户加入其同名组）。")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn 工作进程数。")
@click.option("--https", is_flag=True, help="站点经 HTTPS 提供（deploy-config 给了 --tls-cert）：会话 cookie 只经 HTTPS 发送。")
@click.option(
    "--site",
    type=click.Path(path_type=Path),
    default=None,
    help="每次批准合并后编辑台在后台增量生成并发布站点的目录（与 nginx 提供的站点目录相同）；不给则不生成。",
)
@click.option("--forge", default=None, help="每次批准合并后把 main 推送到的远程仓库（不强制推送）；不给则不推送。")
def unit_command(root, key, merger, secret_file, socket, account, workers, https, site, forge):
    """写出运行编辑台的 systemd 单元（gunicorn，只监听 unix 套接字）。

    \b
    例：
      bangfu desk unit --root /srv/bangfu/desk-archive --key /etc/bangfu/desk_ed25519 \\
          --merger desk@union.example --secret-file /etc/bangfu/desk.secret > /etc/systemd/system/bangfu-desk.service
    """
    from generator.desk.unit import Unit

    unit = Unit(root, key, merger, secret_file, socket, account, workers=workers, https=https, site=site, forge=forge)
    click.echo(unit.text(), nl=False)


COMMANDS = [desk_command]

"""CLI commands: deploy-config (nginx configuration with per-scope access control)."""

from __future__ import annotations

from pathlib import Path

import click

from generator.access.nginx import BASIC, RATE_LIMIT, SSO, DeployOptions, deploy_config
from generator.access.users import describe_access, load_access

ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="档案库根目录（读 records/_settings/access.yaml 和 roles.yaml）。",
)


@click.command("deploy-config")
@click.option(
    "--site",
    "site",
    type=click.Path(path_type=Path),
    default=Path("site"),
    show_default=True,
    help="已生成的站点目录（bangfu build 的输出）。",
)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="写出的 nginx 配置文件。")
@click.option(
    "--auth",
    type=click.Choice([BASIC, SSO]),
    default=BASIC,
    show_default=True,
    help="basic：htpasswd 基本认证；sso：经 oauth2-proxy 等单点登录代理（auth_request）。",
)
@click.option("--htpasswd", type=click.Path(path_type=Path), help="密码文件的绝对路径，必须在仓库和站点之外（--auth basic）。")
@click.option("--auth-url", help="单点登录代理的认证地址，例如 http://127.0.0.1:4180/oauth2/auth（--auth sso）。")
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="nginx 监听的 地址:端口。")
@click.option("--server-name", default="_", show_default=True, help="nginx server_name（内网域名）。")
@click.option(
    "--access-log",
    type=click.Path(path_type=Path),
    default=Path("/var/log/nginx/bangfu-access.log"),
    show_default=True,
    help="访问日志：每次读取都记下用户名。",
)
@click.option("--tls-cert", type=click.Path(path_type=Path), help="HTTPS 证书（与 --tls-key 一起给出）。")
@click.option("--tls-key", type=click.Path(path_type=Path), help="HTTPS 私钥。")
@click.option(
    "--allow-plain-http",
    is_flag=True,
    help="基本认证不配 HTTPS 也监听本机以外的地址（仅当 HTTPS 由前置代理终止且其间网络可信时）。",
)
@click.option(
    "--rate-limit",
    type=int,
    default=RATE_LIMIT,
    show_default=True,
    help="基本认证时每个客户端地址每秒可发的请求数（可先突发 40 个），超出答 429，用来挡住猜密码。",
)
@click.option(
    "--desk-socket",
    type=click.Path(path_type=Path),
    help="编辑台（bangfu desk）的 unix 套接字，例如 /run/bangfu/desk.sock：给出时 /desk/ 经同一登录转给编辑台。",
)
@ROOT
def deploy_config_command(**options):
    """生成分级授权的 nginx 配置：县级只看本县，市级看本市各县，省级看全部。

    \b
    按 records/_settings/access.yaml（谁持有哪个范围和角色）与 roles.yaml（角色可读哪些区域）
    生成 nginx 配置；密码不在仓库中。详见 docs/access.md。
    \b
    例：
      htpasswd -B -c /etc/bangfu/htpasswd hk-demo
      bangfu deploy-config --site /srv/bangfu/site --out /etc/nginx/conf.d/bangfu.conf \\
          --auth basic --htpasswd /etc/bangfu/htpasswd --listen 127.0.0.1:8080
      bangfu deploy-config --site /srv/bangfu/site --out /etc/nginx/conf.d/bangfu.conf \\
          --auth sso --auth-url http://127.0.0.1:4180/oauth2/auth
      nginx -t && systemctl reload nginx
    """
    report = deploy_config(DeployOptions(**options))
    for warning in report.warnings:
        click.echo(f"警告：{warning}", err=True)
    click.echo(
        f"已写出 {report.out}：{report.users} 个用户、{report.groups} 个组；"
        f"内联脚本 {len(report.script_hashes)} 段、内联样式 {len(report.style_hashes)} 段按哈希放行。"
    )
    click.echo("下一步：nginx -t && systemctl reload nginx")


@click.command("access-list")
@ROOT
def access_list_command(root):
    """列出每个用户和组能读什么（范围、角色、可读区域），供审核授权修改时核对。

    \b
    例：
      bangfu access-list
    """
    access = load_access(root)
    if access.example:
        click.echo(f"注意：{access.path} 是示例授权（示例数据: 是）。")
    for line in describe_access(access):
        click.echo(line)


COMMANDS = [deploy_config_command, access_list_command]

"""The access file, and `bangfu deploy-config`: its checks, its messages, and configurations nginx accepts."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from nginx_support import Nginx, free_port

from generator.access.nginx import DeployOptions, deploy_config, locations
from generator.access.urls import URL_AREAS
from generator.access.users import INDEX, load_access
from generator.cli import cli
from generator.errors import RecordError
from generator.records.files import atomic_file

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (REPO / "records" / "_settings" / "access.yaml").read_text(encoding="utf-8")
INLINE = "var bangfuTest=1;"


@pytest.fixture
def tiny_site(tmp_path: Path) -> Path:
    """A built site in miniature: a page with an inline script and an inline style, and the error pages."""
    site = tmp_path / "site"
    (site / "errors").mkdir(parents=True)
    (site / "index.html").write_text(
        f"<html><head><script>{INLINE}</script><style>p{{color:red}}</style>"
        '<script id="__config" type="application/json">{"a": 1}</script>'
        '<script src="a.js"></script></head><body>手册</body></html>',
        encoding="utf-8",
    )
    for code in (401, 403, 404):
        (site / "errors" / f"{code}.html").write_text(f"<p>{code}</p>", encoding="utf-8")
    return site


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An archive root holding the shipped settings."""
    folder = tmp_path / "archive"
    shutil.copytree(REPO / "records" / "_settings", folder / "records" / "_settings")
    return folder


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_shipped_access_file_loads_and_says_it_is_an_example():
    access = load_access(REPO)
    assert access.example
    assert all(name.endswith("-demo") for name in access.users)
    assert access.can_read("hk-demo", "archive", "460105")
    assert not access.can_read("hk-demo", "archive", "460202")
    assert access.can_read("jiandu-demo", "archive", "460202")  # through its group
    assert not access.can_read("tingyong-demo", "handbook")  # disabled
    assert access.can_read("tongji-demo", "stats", "460105") and not access.can_read("tongji-demo", "list", "460105")
    assert access.can_read("tongji-demo", INDEX, "4601")
    assert access.can_read("x@example.invalid", "finance", "469005", header_groups=("bangfu-finance-demo",))


BAD_ACCESS = [
    # (replace, with, expected words of the located message)
    ("        角色: [统计员]", "        角色: [统计]", ["access.yaml:57: 用户.tongji-demo.授权[1].角色[1]", "没有角色“统计”"]),
    (
        '      - 范围: "460105"\n        角色: [公示员]',
        '      - 范围: "469099"\n        角色: [公示员]',
        ["用户.gongshi-xy-demo.授权[1].范围", "“469099”不是本省的省、市或县级行政区划代码"],
    ),
    ("    组: [bangfu-dudao-demo]", "    组: [bangfu-nobody]", ["用户.jiandu-demo.组[1]", "组“bangfu-nobody”没有在“组”中定义"]),
    ('      - 范围: "4602"\n        角色: [经办人]', "      - 范围: 4602\n        角色: [经办人]", ["应为加引号的文字"]),
    ("  hk-demo:\n", "  海口经办人:\n", ["用户名“海口经办人”只能由字母、数字"]),
    ("    姓名: 海口市经办人示例\n", "    姓名: 海口市经办人示例\n    密码: secret\n", ["不认识的项目：密码"]),
    (
        '      - 范围: "4601"\n        角色: [经办人]\n  hk-caiwu',
        '      - 范围: "46010"\n        角色: [经办人]\n  hk-caiwu',
        ["“46010”不是范围"],
    ),
    ("    姓名: 已停用的示例账号\n    停用: 是\n", "    姓名: 已停用的示例账号\n", []),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_ACCESS)
def test_bad_access_file_is_reported_in_chinese_with_file_line_and_field(old, new, expected):
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    if not expected:
        load_access(REPO, raw=text.encode())  # removing 停用 leaves a valid file
        return
    with pytest.raises(RecordError) as caught:
        load_access(REPO, raw=text.encode())
    message = caught.value.format_message()
    assert message.startswith("访问授权文件有误。\nrecords/_settings/access.yaml")
    for part in expected:
        assert part in message


def test_a_user_with_nothing_is_refused():
    text = SHIPPED.replace("\n组:\n", "\n  nichts-demo:\n    姓名: 没有授权的示例\n组:\n", 1)
    with pytest.raises(RecordError) as caught:
        load_access(REPO, raw=text.encode())
    assert "用户“nichts-demo”既没有授权也不属于任何组，什么也读不了" in caught.value.format_message()


def test_every_url_area_of_the_site_has_an_nginx_location():
    found = locations()
    assert len(found) == len(URL_AREAS)
    assert {area for _, area in found} <= {"archive", "list", "notice", "finance", "stats", INDEX}
    # the scope front page is exact; everything else under it needs its own entry
    assert ("^/s/(?<bangfu_c>[1-9][0-9](?:[0-9]{2}){0,2})/(?:index\\.html)?$", INDEX) in found


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_deploy_config_writes_the_configuration(tiny_site, root, tmp_path):
    out = tmp_path / "conf" / "bangfu.conf"
    result = run(
        ["deploy-config", "--site", str(tiny_site), "--out", str(out), "--root", str(root), "--htpasswd", "/etc/bangfu/htpasswd"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"已写出 {out}：13 个用户、2 个组；内联脚本 1 段、内联样式 1 段按哈希放行。\n下一步：nginx -t && systemctl reload nginx\n"
    )
    assert "警告：records/_settings/access.yaml 标有“示例数据: 是”" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert f"script-src 'self' {sha(INLINE)};" in text
    assert f"style-src 'self' {sha('p{color:red}')};" in text
    assert "'unsafe-inline'" not in text and "'unsafe-eval'" not in text
    assert 'auth_basic_user_file "/etc/bangfu/htpasswd";' in text
    assert "autoindex off;" in text
    assert "PASSWORD" not in text.upper().replace("AUTH_BASIC_USER_FILE", "")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "基本认证（--auth basic）需要 --htpasswd 指定密码文件"),
        (["--htpasswd", "htpasswd"], "--htpasswd 应为绝对路径"),
        (["--htpasswd", "{root}/records/_settings/htpasswd"], "在档案库（git 仓库）之内：密码不能进 git"),
        (["--htpasswd", "{site}/htpasswd"], "在站点目录之内：密码不能进 git，也不能被网站读出"),
        (["--auth", "sso"], "单点登录（--auth sso）需要 --auth-url"),
        (["--auth", "sso", "--auth-url", "oauth2-proxy:4180"], "单点登录（--auth sso）需要 --auth-url"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--listen", "127.0.0.1:80; include /etc/passwd"], "--listen 应为 地址:端口"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--tls-cert", "/etc/ssl/a.pem"], "--tls-cert 和 --tls-key 要一起给出"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--server-name", "x; include /etc/passwd"], "--server-name 应为域名"),
        (["--htpasswd", "/etc/bangfu/$remote_user"], "--htpasswd 中不能有空白、控制字符或 $ ; \" ' { } \\ # 这些字符"),
        (["--auth", "sso", "--auth-url", "http://127.0.0.1:4180/auth;return"], "--auth-url 中不能有空白、控制字符或 $"),
        (["--auth", "sso", "--auth-url", "http://127.0.0.1:4180/auth\x01"], "--auth-url 中不能有空白、控制字符或 $"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--listen", "0.0.0.0:80"], "--listen 0.0.0.0:80 不只是本机地址"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--listen", "[::]:80"], "--listen [::]:80 不只是本机地址"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--listen", "80"], "--listen 80 不只是本机地址"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--listen", "10.1.2.3:8080"], "请给出 --tls-cert 和 --tls-key"),
        (["--htpasswd", "/etc/bangfu/htpasswd", "--rate-limit", "0"], "--rate-limit 应为 1 到 100000 之间的整数"),
    ],
)
def test_deploy_config_refuses_bad_options_in_chinese(tiny_site, root, tmp_path, extra, message):
    args = [a.format(root=root, site=tiny_site) for a in extra]
    out = tmp_path / "bangfu.conf"
    result = run(["deploy-config", "--site", str(tiny_site), "--out", str(out), "--root", str(root), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：无法生成 nginx 配置。\ndeploy-config: ")
    assert message in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "extra",
    [
        ["--listen", "127.0.0.2:8080"],
        ["--listen", "[::1]:8080"],
        ["--listen", "localhost:8080"],
        ["--listen", "0.0.0.0:80", "--allow-plain-http"],
    ],
)
def test_plain_http_beyond_this_machine_must_be_asked_for(tiny_site, root, tmp_path, extra):
    out = tmp_path / "bangfu.conf"
    result = run(
        [
            "deploy-config",
            "--site",
            str(tiny_site),
            "--out",
            str(out),
            "--root",
            str(root),
            "--htpasswd",
            "/etc/bangfu/htpasswd",
            *extra,
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"listen {extra[1]};" in out.read_text(encoding="utf-8")


def test_deploy_config_needs_a_built_site(root, tmp_path):
    result = run(
        [
            "deploy-config",
            "--site",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "x.conf"),
            "--root",
            str(root),
            "--htpasswd",
            "/etc/bangfu/htpasswd",
        ]
    )
    assert result.exit_code == 2
    assert "中没有 index.html：请先运行 bangfu build 生成站点" in result.stderr


def test_deploy_config_reports_a_broken_access_file(tiny_site, root, tmp_path):
    path = root / "records" / "_settings" / "access.yaml"
    path.write_text(SHIPPED.replace("角色: [统计员]", "角色: [统计]"), encoding="utf-8")
    result = run(
        [
            "deploy-config",
            "--site",
            str(tiny_site),
            "--out",
            str(tmp_path / "x.conf"),
            "--root",
            str(root),
            "--htpasswd",
            "/etc/bangfu/htpasswd",
        ]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：访问授权文件有误。\nrecords/_settings/access.yaml:57:")
    assert not (tmp_path / "x.conf").exists()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=bangfu.invalid",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.nginx
@pytest.mark.parametrize("mode", ["basic", "sso", "sso-named", "tls", "plain"])
def test_nginx_accepts_the_generated_configuration(tiny_site, root, tmp_path, mode):
    options = DeployOptions(
        site=tiny_site,
        out=tmp_path / "bangfu.conf",
        root=root,
        listen=f"127.0.0.1:{free_port()}",
        access_log=tmp_path / "access.log",
        htpasswd=Path("/etc/bangfu/htpasswd"),
    )
    if mode.startswith("sso"):
        options.auth, options.auth_url, options.htpasswd = "sso", "http://127.0.0.1:4180/oauth2/auth", None
    if mode == "sso-named":
        options.server_name = "bangfu.example.invalid"
    if mode == "tls":
        options.tls_cert, options.tls_key = _self_signed(tmp_path)
    if mode == "plain":  # every address, no TLS: only when asked for
        options.listen, options.allow_plain_http = f"0.0.0.0:{free_port()}", True
    deploy_config(options)
    checked = Nginx(tmp_path / "nginx", options.out, 0).test_config()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
    assert "warn" not in checked.stderr


def test_a_page_changed_since_the_last_run_is_read_again(tiny_site, root, tmp_path):
    options = DeployOptions(site=tiny_site, out=tmp_path / "bangfu.conf", root=root, htpasswd=Path("/etc/bangfu/htpasswd"))
    first = deploy_config(options)
    assert first.script_hashes == [sha(INLINE)]
    page = tiny_site / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(INLINE, "var bangfuOther=2;"), encoding="utf-8")
    (tiny_site / "sub").mkdir()
    (tiny_site / "sub" / "index.html").write_text('<p style="color:red" onclick="x()">x</p>', encoding="utf-8")
    second = deploy_config(options)
    assert second.script_hashes == [sha("var bangfuOther=2;")]
    text = options.out.read_text(encoding="utf-8")
    assert f"'unsafe-hashes' {sha('color:red')}" in text
    assert second.warnings[-1] == "1 个页面有内联事件处理（onclick= 等），内容安全策略会拦截，例如 sub/index.html。"


def test_access_list_says_what_each_user_may_read():
    result = run(["access-list", "--root", str(REPO)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "注意：records/_settings/access.yaml 是示例授权（示例数据: 是）。"
    assert "用户 xy-demo（秀英区经办人示例）：秀英区（460105）：经办人（可读 档案、名单、公示、统计）" in lines
    assert "用户 tongji-demo（省总工会统计员示例）：海南省（46）：统计员（可读 统计）" in lines
    assert "用户 tingyong-demo（已停用的示例账号）：已停用，什么也不能读" in lines
    assert any(line.startswith("用户 jiandu-demo") and "经组 bangfu-dudao-demo：海口市（4601）：审核人" in line for line in lines)


def test_deploy_config_never_writes_through_a_planted_link(tiny_site, root, tmp_path):
    """The configuration was staged at the fixed name .<out>.tmp: a link planted there (in a folder someone else
    can write) sent the configuration into whatever file it pointed at. Now it is staged in a fresh file."""
    out = tmp_path / "conf" / "bangfu.conf"
    out.parent.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    (out.parent / f".{out.name}.tmp").symlink_to(victim)
    result = run(
        ["deploy-config", "--site", str(tiny_site), "--out", str(out), "--root", str(root), "--htpasswd", "/etc/bangfu/htpasswd"]
    )
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert not out.is_symlink() and "auth_basic_user_file" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.parent.iterdir()) == [f".{out.name}.tmp", out.name]  # no temporary file left


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "config.conf"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    with pytest.raises(KeyboardInterrupt), atomic_file(target) as fh:
        fh.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["config.conf"]
    with atomic_file(target) as fh:
        fh.write(b"new\n")
    assert target.read_bytes() == b"new\n" and target.stat().st_mode & 0o777 == 0o640

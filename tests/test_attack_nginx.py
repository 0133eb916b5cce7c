"""Attacks on the generated nginx configuration, performed against a real nginx on 127.0.0.1.

Free text of access.yaml injecting directives (issue 12, item 1), password guessing, forged sign-on headers,
Host-header redirects, anonymous policy reports and source maps.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from history_support import EDITOR, R46, Archive, as_env, git
from nginx_support import Client, Nginx, SignOn, directives, fetch, free_port, serving, write_access, write_htpasswd, write_pages

from generator.access.csp import scan
from generator.access.nginx import DeployOptions, render
from generator.access.users import Access, Principal, load_access
from generator.cli import cli
from generator.errors import RecordError
from generator.history.hooks import install_hook
from generator.records.schema import split_pointer

pytestmark = [pytest.mark.nginx, pytest.mark.xdist_group("attack-nginx")]

USERS = {"hostile": [("460105", ["经办人"])], "cw-46": [("46", ["财务"])], "dd": []}
GROUPS = {"g-dudao": [("4601", ["审核人"])]}
MEMBERS = {"dd": ["g-dudao"]}
PAGES = [
    "f/46/",
    "f/460105/",
    "h/460105/4601050001/",
    "s/460105/",
    "s/46/",
    "assets/javascripts/bundle.js",
    "assets/javascripts/bundle.js.map",
]
# The two payloads of the outside test: a gate entry that opens every page, and a whole server listing "/".
OPEN_ALL = 'x\n    "~." "";\n    #'


def add_server(port: int) -> str:
    return f"x\n}}\nserver {{ listen 127.0.0.1:{port}; root /; autoindex on; }}\nmap $uri $bangfu_injected {{\n    #"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, Path]:
    """(archive root with a clean access.yaml, a small site)."""
    base = tmp_path_factory.mktemp("attack")
    write_access(base / "archive", USERS, GROUPS, MEMBERS)
    return base / "archive", write_pages(base / "site", PAGES)


def options_for(mode: str, folder: Path, site: Path, root: Path, **extra) -> DeployOptions:
    options = DeployOptions(
        site=site,
        out=folder / f"{mode}.conf",
        root=root,
        listen=f"127.0.0.1:{free_port()}",
        access_log=folder / f"{mode}.log",
        htpasswd=folder / "htpasswd",
        rate_limit=100000,
    )
    if mode == "sso":
        options.auth, options.auth_url, options.htpasswd = "sso", f"http://127.0.0.1:{free_port()}/oauth2/auth", None
    return dataclasses.replace(options, **extra)


def write_config(options: DeployOptions, access: Access) -> str:
    """The configuration of this Access, written where options.out says (no validation of access.yaml on the way)."""
    site = options.site.resolve()
    text = render(options, site, access, scan(site, []))
    options.out.write_text(text, encoding="utf-8")
    return text


def with_titles(access: Access, title: str) -> Access:
    """The same grants; every user's 姓名 and every group's 说明 replaced."""
    return dataclasses.replace(
        access,
        users={k: dataclasses.replace(v, title=title) for k, v in access.users.items()},
        groups={k: dataclasses.replace(v, title=title) for k, v in access.groups.items()},
    )


def hostile_file(root: Path, where: str, payload: str) -> int:
    """Put the payload into access.yaml (姓名 of user hostile, or 说明 of group g-dudao); the line it is on."""
    path = root / "records" / "_settings" / "access.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if where == "姓名":
        data["用户"]["hostile"]["姓名"] = payload
    else:
        data["组"]["g-dudao"]["说明"] = payload
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    key = "  hostile:" if where == "姓名" else "  g-dudao:"
    return text.split("\n").index(key) + 2


@pytest.mark.parametrize("mode", ["basic", "sso"])
@pytest.mark.parametrize("where", ["姓名", "说明"])
@pytest.mark.parametrize("payload", ["open-all", "add-server"])
def test_a_hostile_access_file_is_refused_and_nothing_is_written(archive, tmp_path, mode, where, payload):
    root, site = archive
    own = tmp_path / "archive"
    write_access(own, USERS, GROUPS, MEMBERS)
    line = hostile_file(own, where, OPEN_ALL if payload == "open-all" else add_server(free_port()))
    out = tmp_path / "bangfu.conf"
    args = ["deploy-config", "--site", str(site), "--out", str(out), "--root", str(own), "--auth", mode]
    args += ["--auth-url", "http://127.0.0.1:4180/oauth2/auth"] if mode == "sso" else ["--htpasswd", "/etc/bangfu/htpasswd"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    field = "用户.hostile.姓名" if where == "姓名" else "组.g-dudao.说明"
    assert f"records/_settings/access.yaml:{line}: {field}: " in result.stderr
    assert "有看不见的换行符（U+000A）：这一栏只能写一行" in result.stderr
    assert not out.exists()
    checked = CliRunner().invoke(cli, ["validate", "--root", str(own), "--no-cache"], catch_exceptions=False)
    assert checked.exit_code == 1  # `bangfu validate` says the same
    assert f"records/_settings/access.yaml:{line}: {field}: " in checked.output


@pytest.mark.parametrize("mode", ["basic", "sso"])
@pytest.mark.parametrize("payload", ["open-all", "add-server"])
def test_free_text_that_slipped_past_validation_changes_no_directive(archive, tmp_path, mode, payload):
    """Both layers hold: even an Access that was never validated writes the same directives as the clean one."""
    root, site = archive
    clean = load_access(root)
    injected_port = free_port()
    hostile = with_titles(clean, OPEN_ALL if payload == "open-all" else add_server(injected_port))
    options = options_for(mode, tmp_path, site, root)
    expected = directives(write_config(options, clean))
    assert Nginx(tmp_path / "clean", options.out, 0).test_config().returncode == 0
    got = directives(write_config(options, hostile))
    checked = Nginx(tmp_path / "hostile", options.out, 0).test_config()
    assert checked.returncode == 0, checked.stderr
    assert got == expected
    assert "x\n" not in options.out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ['x\n    "~." "";\n    #', "hostile\n", "a|b", "g-dudao,x", "x\u202e"])
@pytest.mark.parametrize("kind", ["user", "group"])
def test_a_name_that_is_not_plain_never_reaches_the_configuration(archive, tmp_path, name, kind):
    root, site = archive
    clean = load_access(root)
    if kind == "user":
        users = clean.users | {name: Principal(name, "x", clean.users["hostile"].grants)}
        access = dataclasses.replace(clean, users=users)
    else:
        access = dataclasses.replace(clean, groups=clean.groups | {name: Principal(name, "x", clean.groups["g-dudao"].grants)})
    options = options_for("sso", tmp_path, site, root)
    with pytest.raises(RecordError) as caught:
        write_config(options, access)
    message = caught.value.format_message()
    assert message.startswith("访问授权文件中有不能写入 nginx 配置的内容。\nrecords/_settings/access.yaml: ")
    assert "含有不允许的字符，不能写入 nginx 配置" in message
    assert "\n" not in message.split("\n", 1)[1]  # the name is spelled out, never printed raw
    assert not options.out.exists()


@pytest.fixture(scope="module", params=["open-all", "add-server"])
def hostile_basic(archive, tmp_path_factory, request):
    """nginx with basic authentication, configured from an Access whose free text carries one of the payloads."""
    root, site = archive
    base = tmp_path_factory.mktemp("hostile-basic")
    write_htpasswd(base / "htpasswd", [*USERS, "stranger"])
    injected_port = free_port()
    options = options_for("basic", base, site, root)
    payload = OPEN_ALL if request.param == "open-all" else add_server(injected_port)
    write_config(options, with_titles(load_access(root), payload))
    with serving(base / "prefix", options.out, int(options.listen.rsplit(":", 1)[1])) as port:
        yield port, injected_port


def test_the_hostile_user_cannot_read_finance_pages(hostile_basic):
    port, injected_port = hostile_basic
    got = {
        (user, url): fetch(port, url, user)[0]
        for user in ("hostile", "stranger", "cw-46", "dd")
        for url in ("/f/46/", "/f/460105/", "/h/460105/4601050001/")
    }
    assert got == {
        ("hostile", "/f/46/"): 403,
        ("hostile", "/f/460105/"): 403,
        ("hostile", "/h/460105/4601050001/"): 200,
        ("stranger", "/f/46/"): 403,
        ("stranger", "/f/460105/"): 403,
        ("stranger", "/h/460105/4601050001/"): 403,
        ("cw-46", "/f/46/"): 200,
        ("cw-46", "/f/460105/"): 200,
        ("cw-46", "/h/460105/4601050001/"): 200,
        ("dd", "/f/46/"): 403,
        ("dd", "/f/460105/"): 403,
        ("dd", "/h/460105/4601050001/"): 200,
    }
    with pytest.raises(OSError):  # the server the payload describes does not exist
        socket.create_connection(("127.0.0.1", injected_port), timeout=1).close()


def test_source_maps_are_never_served(hostile_basic):
    port, _ = hostile_basic
    with Client(port, "cw-46") as client:
        assert client.status("/assets/javascripts/bundle.js") == 200
        assert client.status("/assets/javascripts/bundle.js.map") == 404
        assert client.status("/assets/javascripts/bundle%2Ejs%2Emap") == 404


def test_policy_reports_need_a_login_and_a_small_body(hostile_basic):
    port, _ = hostile_basic
    report = b'{"csp-report": {"blocked-uri": "inline"}}'
    with Client(port) as anonymous:
        assert anonymous.get("/_bangfu/csp-report", "POST", report)[0] == 401
    with Client(port, "hostile") as reader:
        status, _, body = reader.get("/_bangfu/csp-report", "POST", report)
        assert (status, body) == (204, b"")
        assert reader.get("/_bangfu/csp-report", "POST", b"x" * 100_000)[0] == 413


def test_a_burst_of_wrong_passwords_is_answered_429(archive, tmp_path):
    root, site = archive
    write_htpasswd(tmp_path / "htpasswd", ["hostile"])
    options = options_for("basic", tmp_path, site, root, rate_limit=10)  # the default
    write_config(options, load_access(root))
    with serving(tmp_path / "prefix", options.out, int(options.listen.rsplit(":", 1)[1])) as port:
        started = time.monotonic()
        with Client(port, "hostile", "wrong") as guesser:
            statuses = [guesser.status("/") for _ in range(200)]
        elapsed = time.monotonic() - started
        assert set(statuses) == {401, 429}
        # a burst of 40, then 10 a second: every other guess is turned away before the password is checked
        assert statuses.count(401) <= 40 + 10 * elapsed + 1, (statuses.count(401), elapsed)
        status, headers, body = fetch(port, "/", "hostile")  # the right password, during the limit: not even tried
        assert status == 429
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "请求太频繁" in body.decode("utf-8") and "content-security-policy" in headers
        time.sleep(1.5)
        assert fetch(port, "/", "hostile")[0] == 200


@pytest.fixture(scope="module")
def sign_on(archive, tmp_path_factory):
    """nginx with single sign-on under a configured server name, and the stub sign-on server it asks."""
    root, site = archive
    base = tmp_path_factory.mktemp("sso")
    with SignOn({"s-hostile": ("hostile", "")}) as stub:
        options = options_for(
            "sso", base, site, root, server_name="bangfu.example.invalid", auth_url=f"http://127.0.0.1:{stub.port}/oauth2/auth"
        )
        write_config(options, load_access(root))
        with serving(base / "prefix", options.out, int(options.listen.rsplit(":", 1)[1])) as port:
            yield port, stub


FORGED = {
    "X-Auth-Request-User": "cw-46",
    "X-Auth-Request-Groups": "g-dudao",
    "X-Auth-Request-Email": "cw@example.invalid",
    "X-Auth-Request-Access-Token": "forged",
    "X-Forwarded-For": "10.9.9.9",
    "X-Real-IP": "10.9.9.9",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Uri": "/forged/",
}


def test_sign_on_headers_sent_by_a_client_never_reach_the_sign_on_server(sign_on):
    port, stub = sign_on
    del stub.seen[:]
    with Client(port, headers=FORGED) as anonymous:
        assert anonymous.status("/f/46/") == 302
        assert anonymous.status("/oauth2/sign_in?rd=/") == 200
    with Client(port, cookie="sso=s-hostile", headers=FORGED) as reader:
        assert reader.status("/f/46/") == 403
        assert reader.status("/h/460105/4601050001/") == 200
    paths = [path for path, _ in stub.seen]
    assert paths.count("/oauth2/auth") == 3 and "/oauth2/sign_in?rd=/" in paths
    for path, headers in stub.seen:
        assert not [name for name in headers if name.startswith("x-auth-request-") and name != "x-auth-request-redirect"], path
        assert headers["x-forwarded-for"] == headers["x-real-ip"] == "127.0.0.1"
        assert headers["x-forwarded-host"] == headers["host"] == "bangfu.example.invalid"
    asked = [headers["x-forwarded-uri"] for path, headers in stub.seen if path == "/oauth2/auth"]
    assert asked == ["/f/46/", "/f/46/", "/h/460105/4601050001/"]


@pytest.mark.parametrize(
    ("url", "back"),
    [
        ("/s/46/", "/s/46/"),
        ("/s/46/?q=1&rd=https://evil.example/", "/s/46/"),
        ("//evil.example/s/46/", "/"),
        ("/%0d%0aSet-Cookie:%20bangfu=x", "/"),
        ("/s/46/\\evil.example", "/"),
    ],
)
def test_the_sign_in_redirect_names_the_configured_server_and_a_plain_path(sign_on, url, back):
    port, _ = sign_on
    with Client(port, headers={"Host": "evil.example"}) as client:
        status, headers, _ = client.get(url)
    assert status == 302
    assert headers["location"] == f"/oauth2/sign_in?rd=http://bangfu.example.invalid{back}"
    assert "set-cookie" not in headers


def test_the_push_hook_refuses_a_hostile_access_file_even_when_a_province_reviewer_merges_it(tmp_path):
    """The server side: a properly approved merge that carries the payload never reaches main."""
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = Archive(tmp_path / "work")
    git(work.root, "remote", "add", "origin", str(bare))
    assert push_main(work).returncode == 0  # the import, before the hook (as in tests/test_hook.py)
    install_hook(bare)
    before = git(bare, "rev-parse", "refs/heads/main")
    work.branch("access")
    path = work.root / "records" / "_settings" / "access.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    姓名: 海口市经办人示例\n" in text
    path.write_text(text.replace("    姓名: 海口市经办人示例\n", f"    姓名: {json.dumps(OPEN_ALL)}\n", 1), encoding="utf-8")
    git(work.root, "commit", "-q", "-am", "Rename a user", who=EDITOR)
    work.merge("access", R46, 5)
    done = push_main(work)
    assert done.returncode != 0
    assert "records/_settings/access.yaml" in done.stderr and "有看不见的换行符（U+000A）" in done.stderr
    assert git(bare, "rev-parse", "refs/heads/main") == before


def push_main(work) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "push", "-q", "origin", "refs/heads/main:refs/heads/main"],
        cwd=work.root,
        env=as_env(EDITOR),
        capture_output=True,
        text=True,
    )


def test_a_refused_name_is_located_by_an_escaped_pointer(archive, tmp_path):
    """A name with / or ~ is named by a JSON pointer that splits back into that name (it was pasted in raw)."""
    root, site = archive
    clean = load_access(root)
    name = "g/../x~1"
    access = dataclasses.replace(clean, users=clean.users | {name: Principal(name, "x", clean.users["hostile"].grants)})
    with pytest.raises(RecordError) as caught:
        write_config(options_for("sso", tmp_path, site, root), access)
    pointers = [p.pointer for p in caught.value.problems]
    assert pointers == ["/用户/g~1..~1x~01"]
    assert split_pointer(pointers[0]) == ["用户", name]

"""The desk's server-side rules through Flask's test client on a real git repository (the identity header is what
nginx would set; tests/test_desk_e2e.py drives the same app behind real nginx and gunicorn with Chromium)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from history_support import ADMIN, R460105, Archive, git, household, key_entry, key_of, path_of
from nginx_support import write_access

from generator.desk.app import Config, create_app
from generator.desk.identity import USER_HEADER
from generator.history.log import read_history

DESK = ("编辑台", "desk@example.invalid")
N5 = "4601050001"  # 秀英区
N6 = "4601060001"  # 龙华区
USERS = {
    "xy-ed": [("460105", ["经办人"])],
    "lh-ed": [("460106", ["经办人"])],
    "reviewer-460105": [("460105", ["审核人"])],
    "reviewer-4602": [("4602", ["审核人"])],
    "xy-both": [("460105", ["经办人", "审核人"])],
    "xy-ed2": [("460105", ["经办人"])],
}


def make_archive(root: Path) -> Archive:
    """An archive with two households, the desk registered as a signing merger, and desk users in access.yaml."""
    listed = f"签名合并方:\n  - 名称: {DESK[0]}\n    邮箱: {DESK[1]}\n    账号: desk\n    公钥:\n{key_entry(DESK[1])}"
    work = Archive(root)
    reviewers = root / "records" / "_settings" / "reviewers.yaml"
    text = reviewers.read_text(encoding="utf-8")
    # xy-both is a 460105 reviewer too (to try self-approval): the second account of the 秀英 reviewer
    text = text.replace("    账号: reviewer-460105\n", "    账号:\n      - reviewer-460105\n      - xy-both\n")
    reviewers.write_text(text + listed, encoding="utf-8")
    write_access(root, USERS)
    work.write(N5, household(N5))
    work.write(N6, household(N6))
    git(root, "add", "-A")
    git(root, "commit", "-q", "--amend", "-m", "Import settings and households", who=ADMIN)
    return work


def desk_config(root: Path) -> Config:
    return Config(root, key_of(DESK[1]), DESK[1], b"test-secret-not-for-production")


@pytest.fixture
def desk(tmp_path):
    work = make_archive(tmp_path / "repo")
    app = create_app(desk_config(work.root))
    return work, app


def client(app, user: str | None):
    c = app.test_client()
    if user:
        c.environ_base["HTTP_" + USER_HEADER.upper().replace("-", "_")] = user
    return c


def token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1).decode()


def submit(c, number: str, changes: dict[str, str], note: str = "家访核实", action: str = "submit"):
    page = c.get(f"/desk/h/{number}")
    assert page.status_code == 200
    return c.post(f"/desk/h/{number}", data={"csrf_token": token(page.data), "action": action, "note": note, **changes})


def test_no_user_header_is_refused(desk):
    _, app = desk
    assert client(app, None).get("/desk/").status_code == 403
    assert client(app, "nobody-here").get("/desk/").status_code == 403


def test_an_editor_lists_only_households_in_scope(desk):
    _, app = desk
    page = client(app, "xy-ed").get("/desk/").data.decode()
    assert N5 in page and N6 not in page


def test_find_by_name_id_number_and_number_only_in_scope(desk, caplog):
    _, app = desk
    mine, other = household(N5), household(N6)
    c = client(app, "xy-ed")
    for query in (mine["姓名"], mine["身份证号"], N5[-4:]):
        listed = c.get("/desk/", query_string={"q": query}).data.decode()
        assert f"/desk/h/{N5}" in listed and N6 not in listed
    assert f"/desk/h/{N6}" not in c.get("/desk/", query_string={"q": other["身份证号"]}).data.decode()
    assert f"/desk/h/{N6}" in client(app, "lh-ed").get("/desk/", query_string={"q": other["身份证号"]}).data.decode()
    assert any(f"user=lh-ed query='{other['身份证号']}' found=1" in r.getMessage() for r in caplog.records)  # searches are logged


def test_opening_or_posting_another_countys_household_is_403_and_logged(desk, caplog):
    _, app = desk
    c = client(app, "xy-ed")
    assert c.get(f"/desk/h/{N6}").status_code == 403
    own = c.get(f"/desk/h/{N5}")
    answer = c.post(f"/desk/h/{N6}", data={"csrf_token": token(own.data), "action": "submit", "note": "x", "姓名": "改名"})
    assert answer.status_code == 403
    denied = [r.getMessage() for r in caplog.records if "desk denied" in r.getMessage()]
    assert any("xy-ed" in m and N6 in m for m in denied)
    assert "refs/heads/desk" not in git(desk[0].root, "for-each-ref")


def test_the_session_cookie_is_strict_http_only_under_desk_and_secure_over_https(desk, tmp_path):
    work, app = desk
    cookie = client(app, "xy-ed").get(f"/desk/h/{N5}").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/desk/" in cookie and "Secure" not in cookie
    secure = create_app(Config(work.root, key_of(DESK[1]), DESK[1], b"test-secret-not-for-production", https=True))
    assert "Secure" in client(secure, "xy-ed").get(f"/desk/h/{N5}").headers["Set-Cookie"]


def test_a_post_without_csrf_token_is_refused(desk):
    work, app = desk
    answer = client(app, "xy-ed").post(f"/desk/h/{N5}", data={"action": "submit", "note": "x", "家庭人口": "5"})
    assert answer.status_code == 400 and "安全令牌" in answer.data.decode()
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")


def test_an_error_is_shown_beside_its_field_and_nothing_is_submitted(desk):
    work, app = desk
    answer = submit(client(app, "xy-ed"), N5, {"家庭年度总收入": "很多"})
    page = answer.data.decode()
    assert answer.status_code == 200 and 'data-field="家庭年度总收入"' in page and "还有" in page
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")


def test_submit_writes_a_branch_by_the_editor_changing_only_that_field(desk):
    work, app = desk
    before = git(work.root, "rev-parse", "refs/heads/main")
    status = git(work.root, "status", "--porcelain")
    answer = submit(client(app, "xy-ed"), N5, {"邮政编码": "570312"})
    assert answer.status_code == 303
    ref = f"refs/heads/desk/xy-ed/{N5}-1"
    assert git(work.root, "log", "-1", "--format=%an|%ae|%s", ref) == "测试账号xy-ed|xy-ed@desk.bangfu.invalid|编辑台：修改 " + N5
    diff = git(work.root, "diff", "refs/heads/main", ref)
    assert [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))] == [
        '-邮政编码: "570311"',
        '+邮政编码: "570312"',
    ]
    assert git(work.root, "rev-parse", "refs/heads/main") == before  # main untouched
    assert git(work.root, "status", "--porcelain") == status  # the working tree is never used


def audit_json(root: Path) -> dict:
    """`bangfu audit` as an auditor runs it (since the import commit), which must pass."""
    first = git(root, "rev-list", "--max-parents=0", "refs/heads/main")
    done = subprocess.run(
        [sys.executable, "-m", "generator", "audit", "--since", first, "--format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def session_token(c, app) -> str:
    """A valid CSRF token for this client's session, as anyone can get from any form of the desk."""
    from flask import session as live
    from flask_wtf.csrf import generate_csrf

    with c.session_transaction() as session:
        session["csrf_token"] = "a" * 40
    with app.test_request_context():
        live["csrf_token"] = "a" * 40
        return generate_csrf()


def _submitted(app, user="xy-ed", number=N5) -> str:
    assert submit(client(app, user), number, {"邮政编码": "570312"}).status_code == 303
    return f"/desk/r/{user}/{number}-1"


def _approve(c, url: str):
    page = c.get(url)
    return c.post(f"{url}/approve", data={"csrf_token": token(page.data)} if page.status_code == 200 else {})


def test_a_reviewer_approves_and_audit_credits_the_reviewer(desk):
    work, app = desk
    url = _submitted(app)
    c = client(app, "reviewer-460105")
    assert "邮政编码" in c.get(url).data.decode()
    assert _approve(c, url).status_code == 303
    head = git(work.root, "rev-parse", "refs/heads/main")
    assert len(git(work.root, "rev-list", "--parents", "-1", head).split()) == 3  # a --no-ff merge
    assert git(work.root, "log", "-1", "--format=%ae|%ce", head) == f"{R460105[1]}|{DESK[1]}"
    merge = next(c for c in read_history(work.root).commits if c.sha == head)
    assert merge.approved and merge.approver.email == R460105[1]
    audited = audit_json(work.root)
    assert audited["通过"] and audited["审计提交数"] == 1 and audited["签名无法验证的审批合并"] == []
    assert "refs/heads/desk/" not in git(work.root, "for-each-ref")


def test_a_reviewer_of_another_region_cannot_approve(desk, caplog):
    work, app = desk
    url = _submitted(app)
    c = client(app, "reviewer-4602")
    assert c.get(url).status_code == 403
    main = git(work.root, "rev-parse", "refs/heads/main")
    home = c.get("/desk/")
    assert home.status_code == 200 and N5 not in home.data.decode()  # not in the queue
    crafted = session_token(c, app)
    assert c.post(f"{url}/approve", data={"csrf_token": crafted}).status_code == 403
    assert git(work.root, "rev-parse", "refs/heads/main") == main
    assert any("reviewer-4602" in r.getMessage() and "approve" in r.getMessage() for r in caplog.records)


def test_a_reviewer_cannot_approve_their_own_request(desk):
    work, app = desk
    url = _submitted(app, user="xy-both")
    c = client(app, "xy-both")
    main = git(work.root, "rev-parse", "refs/heads/main")
    assert "不能审批自己提交的修改" in c.get(url).data.decode()
    page = c.get(f"/desk/h/{N5}")
    assert c.post(f"{url}/approve", data={"csrf_token": token(page.data)}).status_code == 403
    assert git(work.root, "rev-parse", "refs/heads/main") == main


def test_return_needs_a_reason_and_keeps_the_request(desk):
    work, app = desk
    url = _submitted(app)
    c = client(app, "reviewer-460105")
    page = c.get(url)
    assert c.post(f"{url}/return", data={"csrf_token": token(page.data), "reason": " "}).status_code == 400
    assert c.post(f"{url}/return", data={"csrf_token": token(page.data), "reason": "收入证明缺失"}).status_code == 303
    kept = git(work.root, "for-each-ref", "--format=%(refname)", "refs/desk-closed/")
    assert kept == f"refs/desk-closed/xy-ed/{N5}-1"
    assert "收入证明缺失" in git(work.root, "log", "-1", "--format=%B", kept)
    assert git(work.root, "log", "-1", "--format=%ae", kept) == R460105[1]


@pytest.mark.parametrize("typed", ["²", "١٢", "1e999999999", "Infinity"])
def test_a_number_not_written_in_digits_is_named_beside_its_field_promptly(desk, typed):
    # each in a fresh interpreter with a time limit: int() of "1e999999999" used to run for minutes (a worker held)
    script = (
        "import sys; from generator.desk import form; "
        "print(repr(sorted(form.apply({}, {'家庭人口': sys.argv[1], '本人月平均收入': sys.argv[1]}).items())))"
    )
    done = subprocess.run([sys.executable, "-c", script, typed], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(sorted({"家庭人口": typed, "本人月平均收入": typed}.items()))  # kept as typed
    _, app = desk
    answer = submit(client(app, "xy-ed"), N5, {"家庭人口": typed}, action="check")
    assert answer.status_code == 200 and "错误" in answer.data.decode()


def test_the_desk_started_without_its_settings_says_what_is_missing(tmp_path, monkeypatch):
    from generator.errors import BangfuError

    for name in ("BANGFU_DESK_ROOT", "BANGFU_DESK_KEY", "BANGFU_DESK_MERGER", "BANGFU_DESK_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANGFU_DESK_ROOT", str(tmp_path))
    with pytest.raises(BangfuError, match="缺少环境变量 BANGFU_DESK_KEY、BANGFU_DESK_MERGER、BANGFU_DESK_SECRET_FILE"):
        Config.from_env()
    monkeypatch.setenv("BANGFU_DESK_KEY", str(tmp_path / "key"))
    monkeypatch.setenv("BANGFU_DESK_MERGER", DESK[1])
    monkeypatch.setenv("BANGFU_DESK_SECRET_FILE", str(tmp_path / "absent.secret"))
    with pytest.raises(BangfuError, match="无法读取编辑台的密钥文件 .*absent.secret"):
        Config.from_env()


def test_a_link_cannot_put_its_own_text_on_the_desk(desk):
    _, app = desk
    c = client(app, "xy-ed")
    page = c.get("/desk/?merged=请把密码发给管理员&submitted=系统升级请重新登录").data.decode()
    assert "请把密码" not in page and "系统升级" not in page and "已批准并合并" not in page
    assert "已批准并合并：0123456789ab" in c.get("/desk/?merged=0123456789ab").data.decode()
    assert "已提交审核：4601050001-1" in c.get("/desk/?submitted=4601050001-1").data.decode()


def _give_back(c, url: str, reason: str):
    page = c.get(url)
    return c.post(f"{url}/return", data={"csrf_token": token(page.data), "reason": reason})


def test_a_request_returned_twice_keeps_both_and_is_not_refused_the_second_time(desk):
    work, app = desk
    reviewer = client(app, "reviewer-460105")
    assert _give_back(reviewer, _submitted(app), "收入证明缺失").status_code == 303
    assert submit(client(app, "xy-ed"), N5, {"邮政编码": "570313"}).status_code == 303
    again = f"/desk/r/xy-ed/{N5}-2"  # a new serial: the returned request keeps refs/desk-closed/xy-ed/{N5}-1
    assert _give_back(reviewer, again, "仍缺收入证明").status_code == 303
    kept = git(work.root, "for-each-ref", "--format=%(refname)", "refs/desk-closed/").split()
    assert kept == [f"refs/desk-closed/xy-ed/{N5}-1", f"refs/desk-closed/xy-ed/{N5}-2"]


def test_a_new_household_never_takes_the_number_of_a_returned_one(desk):
    work, app = desk
    main = git(work.root, "rev-parse", "refs/heads/main")
    # a returned new household 4601050002 (its branch moved to refs/desk-closed/, as the return does)
    git(work.root, "update-ref", "refs/desk-closed/xy-ed/4601050002-1", main)
    page = client(app, "xy-ed").get("/desk/new/460105").data.decode()
    assert "4601050003" in page and "4601050002" not in page


@pytest.mark.parametrize(
    "socket_path", ["/run/bangfu/desk.sock;\n}\nserver {", "relative/desk.sock", "/run/b u/desk.sock", "/run/bangfu/$desk.sock"]
)
def test_deploy_config_refuses_a_desk_socket_that_would_reach_into_the_configuration(tmp_path, socket_path):
    from nginx_support import write_pages

    from generator.access.nginx import DeployOptions, deploy_config
    from generator.errors import UsageError

    work = make_archive(tmp_path / "repo")
    out = tmp_path / "bangfu.conf"
    with pytest.raises(UsageError) as refused:
        deploy_config(
            DeployOptions(
                site=write_pages(tmp_path / "site", []),
                out=out,
                root=work.root,
                htpasswd=tmp_path / "htpasswd",
                desk_socket=Path(socket_path),
            )
        )
    assert "--desk-socket" in refused.value.problems[0].message and not out.exists()


def test_deploy_config_adds_the_desk_only_when_asked(tmp_path):
    from nginx_support import directives, write_pages

    from generator.access.nginx import DeployOptions, deploy_config

    work = make_archive(tmp_path / "repo")
    site = write_pages(tmp_path / "site", [])
    plain, desk = tmp_path / "plain.conf", tmp_path / "desk.conf"
    deploy_config(DeployOptions(site=site, out=plain, root=work.root, htpasswd=tmp_path / "htpasswd"))
    deploy_config(
        DeployOptions(
            site=site, out=desk, root=work.root, htpasswd=tmp_path / "htpasswd", desk_socket=Path("/run/bangfu/desk.sock")
        )
    )
    assert "/desk/" not in plain.read_text(encoding="utf-8")
    found = directives(desk.read_text(encoding="utf-8"))
    inside = [words for blocks, words in found if blocks and blocks[-1] == "location ^~ /desk/"]
    assert ("proxy_set_header", "X-Bangfu-Desk-User", "$bangfu_user") in inside
    assert ("proxy_pass", "http://unix:/run/bangfu/desk.sock:") in inside
    methods = [words for blocks, words in found if blocks and blocks[-1].startswith("map") and "$bangfu_method_ok" in blocks[-1]]
    assert ('"~^POST /desk/"', "1") in methods
    assert not any("auth_basic" in words[0] and "off" in words for words in inside)  # the same login as the site


def test_members_are_a_repeatable_group_with_problems_beside_their_fields(desk):
    work, app = desk
    c = client(app, "xy-ed")
    rows = len(household(N5)["家庭主要成员"]) + 1
    new = f"家庭主要成员-{rows - 1}-"
    answer = submit(
        c, N5, {"家庭主要成员-rows": str(rows), "家庭主要成员-0-月收入": "不知道", f"{new}姓名": "测新增"}, action="check"
    )
    page = answer.data.decode()
    assert 'data-field="家庭主要成员-0-月收入"' in page  # the wrong number, beside that member's field
    assert f'data-field="{new}关系"' in page  # the new member lacks required fields, named on its own row
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")
    removed = submit(c, N5, {"家庭主要成员-rows": str(rows), "家庭主要成员-0-删除": "是", "家庭人口": "2"}, note="迁出")
    assert "还有 2 个错误" in removed.data.decode()  # the rules see the member gone: incomes and situations no longer add up
    answer = submit(c, N5, {"家庭主要成员-rows": str(rows), "家庭主要成员-1-单位或学校": "示例第二中学（虚构）"}, note="转学")
    assert answer.status_code == 303, re.findall(r'class="(?:message|problem)"[^>]*>([^<]*)', answer.data.decode())
    diff = git(work.root, "diff", "refs/heads/main", f"refs/heads/desk/xy-ed/{N5}-1", "--", path_of(N5))
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) in (1, 2) and changed[-1] == "+    单位或学校: 示例第二中学（虚构）"


def _first_merged(app, second: dict[str, str]):
    """Two editors change N5 at once (xy-ed 邮政编码, xy-ed2 `second`); the reviewer approves xy-ed's request first."""
    assert submit(client(app, "xy-ed"), N5, {"邮政编码": "570312"}).status_code == 303
    assert submit(client(app, "xy-ed2"), N5, second).status_code == 303
    c = client(app, "reviewer-460105")
    assert _approve(c, f"/desk/r/xy-ed/{N5}-1").status_code == 303
    return c


def test_two_editors_at_once_different_fields_both_merge_and_nothing_is_lost(desk):
    work, app = desk
    c = _first_merged(app, {"手机号码": "17000009999"})
    assert _approve(c, f"/desk/r/xy-ed2/{N5}-1").status_code == 303  # main moved meanwhile: merged onto the new main
    text = git(work.root, "show", f"refs/heads/main:{path_of(N5)}")
    assert '邮政编码: "570312"' in text and '手机号码: "17000009999"' in text
    assert audit_json(work.root)["审计提交数"] == 2


def test_two_editors_changing_the_same_field_the_second_is_refused_and_kept(desk):
    work, app = desk
    c = _first_merged(app, {"邮政编码": "570313"})
    main = git(work.root, "rev-parse", "refs/heads/main")
    answer = _approve(c, f"/desk/r/xy-ed2/{N5}-1")
    shown = answer.data.decode()
    assert answer.status_code == 409 and "邮政编码" in shown and "570312" in shown and "570313" in shown  # both values
    assert git(work.root, "rev-parse", "refs/heads/main") == main
    assert git(work.root, "rev-parse", "--verify", "-q", f"refs/heads/desk/xy-ed2/{N5}-1")  # nothing lost


def test_the_same_person_under_another_login_cannot_approve(desk):
    """reviewer-460105 and xy-both are one reviewer (one e-mail, two accounts): approving xy-both's request is self-approval."""
    work, app = desk
    assert submit(client(app, "xy-both"), N5, {"邮政编码": "570312"}).status_code == 303
    c = client(app, "reviewer-460105")
    url = f"/desk/r/xy-both/{N5}-1"
    assert "自审自批" in c.get(url).data.decode()
    main = git(work.root, "rev-parse", "refs/heads/main")
    assert c.post(f"{url}/approve", data={"csrf_token": session_token(c, app)}).status_code == 403
    assert git(work.root, "rev-parse", "refs/heads/main") == main


def test_a_ref_that_moved_meanwhile_is_never_overwritten(desk):
    from generator.desk.plumbing import MAIN, Git, Person, PlumbingError

    work, _ = desk
    repo = Git(work.root)
    main = repo.resolve(MAIN)
    first = repo.commit_file(main, path_of(N5), b"a: 1\n", Person("甲", "a@example.invalid"), "one")
    repo.update_ref(MAIN, first, main, "test")
    second = repo.commit_file(main, path_of(N5), b"a: 2\n", Person("乙", "b@example.invalid"), "two")
    with pytest.raises(PlumbingError, match="已被别人修改"):
        repo.update_ref(MAIN, second, main, "test")  # built on the old main: refused, the first change stays
    assert repo.resolve(MAIN) == first


def test_desk_unit_runs_gunicorn_on_the_socket_only_and_refuses_text_systemd_would_read(tmp_path):
    from click.testing import CliRunner

    from generator.cli import cli

    args = [
        "desk",
        "unit",
        "--root",
        "/srv/bangfu/desk-archive",
        "--key",
        "/etc/bangfu/desk_ed25519",
        "--merger",
        "desk@union.example",
        "--secret-file",
        "/etc/bangfu/desk.secret",
    ]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    start = next(line for line in done.output.splitlines() if line.startswith("ExecStart="))
    assert "--bind unix:/run/bangfu/desk.sock" in start and "--header-map drop" in start and "--umask 0o007" in start
    assert "Environment=BANGFU_DESK_MERGER=desk@union.example" in done.output and "BANGFU_DESK_HTTPS=0" in done.output
    assert "Environment=BANGFU_DESK_HTTPS=1" in CliRunner().invoke(cli, [*args, "--https"]).output
    for bad in (
        ["--root", "/srv/a\nExecStartPre=/bin/sh"],
        ["--merger", "x@y.example\nUser=root"],
        ["--socket", "/run/a b.sock"],
    ):
        refused = CliRunner().invoke(cli, args + bad)
        assert refused.exit_code != 0 and "无法生成编辑台的 systemd 单元" in refused.output
        assert not any(line.startswith(("ExecStart", "User=")) for line in refused.output.splitlines())


def test_a_broken_access_file_on_main_is_a_chinese_page_not_a_traceback(desk):
    work, app = desk
    (work.root / "records" / "_settings" / "access.yaml").write_text("用户: [\n", encoding="utf-8")
    git(work.root, "commit", "-q", "-am", "Break access.yaml")
    answer = client(app, "xy-ed").get("/desk/")
    assert answer.status_code == 503 and "访问授权文件" in answer.data.decode() and "Traceback" not in answer.data.decode()


def test_a_new_household_takes_the_next_free_number_only_in_scope_and_is_checked_like_any_other(desk):
    work, app = desk
    c = client(app, "xy-ed")
    assert "/desk/new/460105" in c.get("/desk/").data.decode() and "/desk/new/460106" not in c.get("/desk/").data.decode()
    page = c.get("/desk/new/460105")
    assert page.status_code == 200 and "4601050002" in page.data.decode() and "problem" in page.data.decode()
    answer = c.post("/desk/new/460106", data={"csrf_token": token(page.data), "action": "submit", "note": "x", "姓名": "甲"})
    assert answer.status_code == 403
    filled = {
        k: str(v)
        for k, v in household("4601050002").items()
        if not isinstance(v, (list, dict)) and k not in ("职工编号", "所属地区")
    }
    members = household("4601050002")["家庭主要成员"]
    filled["状态"] = "调查中"  # a new household is surveyed first (bangfu new)
    # qualifying on income alone (困难情形 are not yet editable on the desk): 600 元 a person a month for three people
    filled.update(
        {
            "困难类别": "低保边缘户",
            "本人月平均收入": "1800",
            "家庭其他非薪资年收入": "0",
            "家庭年度总收入": "21600",
            "家庭月人均收入": "600",
        }
    )
    rows = {"家庭主要成员-rows": str(len(members))} | {
        f"家庭主要成员-{i}-{k}": str(v)
        for i, member in enumerate(members)
        for k, v in member.items()
        if not isinstance(v, (list, dict))
    }
    rows |= {f"家庭主要成员-{i}-月收入": "0" for i in range(len(members))}
    from werkzeug.datastructures import MultiDict

    lists = {k: v for k, v in household("4601050002").items() if isinstance(v, list) and v and isinstance(v[0], str)}
    form = [("csrf_token", token(page.data)), *filled.items(), *rows.items()]
    form += [(f"{k}-shown", "1") for k in lists] + [(k, option) for k, v in lists.items() for option in v]
    answer = c.post("/desk/new/460105", data=MultiDict(form + [("action", "check")]))
    assert answer.status_code == 200 and "认定过程" in answer.data.decode()
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")
    assert "4601050003" not in c.get("/desk/new/460105").data.decode()  # nothing taken by looking
    answer = c.post("/desk/new/460105", data=MultiDict(form + [("action", "submit"), ("note", "入户调查新建")]))
    # 困难情形 and 低保证 are not yet editable on the desk: without them the rules refuse every category, beside the field
    page = answer.data.decode()
    assert answer.status_code == 200 and "还有 1 个错误" in page and 'data-field="困难类别"' in page
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")


def test_option_lists_take_only_their_own_options(desk):
    from werkzeug.datastructures import MultiDict

    work, app = desk
    c = client(app, "xy-ed")
    page = c.get(f"/desk/h/{N5}")
    reasons = household(N5)["致困原因"]
    kept = reasons[:-1] if len(reasons) > 1 else reasons
    form = MultiDict(
        [
            ("csrf_token", token(page.data)),
            ("致困原因-shown", "1"),
            *[("致困原因", r) for r in kept],
            ("致困原因", "<script>x</script>"),
            ("action", "check"),
        ]
    )
    shown = c.post(f"/desk/h/{N5}", data=form).data.decode()
    assert "<script>x</script>" not in shown  # an option the schema does not list is dropped, never echoed raw
    checked = re.findall(r'name="致困原因" value="([^"]+)" checked', shown)
    assert checked == kept


def desk_files(tmp_path: Path) -> tuple[Archive, Config, Path, Path]:
    """(archive, config, secret file, socket path) for starting the desk's unit as a real process."""
    work = make_archive(tmp_path / "repo")
    config = desk_config(work.root)
    secret = tmp_path / "desk.secret"
    secret.write_bytes(config.secret)
    sock = tmp_path / "run" / "desk.sock"
    sock.parent.mkdir()
    return work, config, secret, sock


def test_the_desk_under_gunicorn_opens_no_control_socket(tmp_path):
    """gunicorn 25+ would open a control socket (reload, worker counts, shutdown) under the account's home."""
    import os
    import time

    from generator.desk.unit import Unit

    work, config, secret, sock = desk_files(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    unit = Unit(work.root, config.key, config.merger, secret, sock, python=Path(sys.executable), workers=1)
    env = {**os.environ, **unit.environment(), "HOME": str(home)}
    log = tmp_path / "desk.log"
    with log.open("wb") as err:
        server = subprocess.Popen(unit.command(), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        time.sleep(0.5)  # the arbiter has started whatever it starts beside the listening socket
        assert sorted(p.name for p in sock.parent.iterdir()) == ["desk.sock"]
        assert not list(home.rglob("*")) and not list(tmp_path.glob("*.ctl"))
    finally:
        server.terminate()
        server.wait(timeout=15)

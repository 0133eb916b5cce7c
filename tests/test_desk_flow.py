"""The desk from approval on: the combined record checked again, conflicts put to the editor, the site published
and main pushed to a forge in the background. Flask's test client on real git repositories (the forge is a real
bare repository, the site a real `bangfu build`)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from history_support import ADMIN, _id, git, household, path_of
from test_desk import N5, _approve, client, desk_config, make_archive, token

from generator.desk.app import create_app
from generator.desk.plumbing import Git, Person
from generator.records.dump import dump_record
from generator.records.load import parse_bytes

N52 = "4601050002"
DIFFERENT_ID = _id("460105", "1982-06-12", 99, "女")  # valid for the spouse (测试乙) of either household


def archive(root: Path):
    """test_desk's archive with a second 秀英 household."""
    work = make_archive(root)
    work.write(N52, household(N52))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"Import {N52}", who=ADMIN)
    return work


@pytest.fixture
def desk(tmp_path):
    work = archive(tmp_path / "repo")
    return work, create_app(desk_config(work.root))


def propose(root: Path, user: str, number: str, change) -> str:
    """A change request as the desk's submit writes it (the editor's branch from main), whatever the form looks like."""
    repo = Git(root)
    data = parse_bytes(git(root, "show", f"refs/heads/main:{path_of(number)}").encode() + b"\n", path_of(number))[0].data
    change(data)
    made = repo.submit(
        user, number, path_of(number), dump_record(data).encode(), Person(f"测试账号{user}", f"{user}@desk.bangfu.invalid"), "t\n"
    )
    return f"/desk/r/{user}/{made.number}-{made.serial}"


def setter(**fields):
    return lambda data: data.update(fields)


def spouse_id(value: str):
    def change(data):
        data["家庭主要成员"][0]["身份证号"] = value

    return change


def both(*changes):
    return lambda data: [change(data) for change in changes]


@pytest.mark.parametrize("moved_line", [False, True], ids=["git-merges", "re-applied"])
def test_a_request_valid_alone_but_not_on_the_new_main_is_marked_and_not_merged(desk, moved_line):
    work, app = desk
    first = propose(work.root, "xy-ed", N52, spouse_id(DIFFERENT_ID))
    # the second gives the same person to N5; with moved_line it also changes 手机号码, next to the 邮政编码 line a
    # third request changes, so git's line merge fails and the desk re-applies it field by field
    second_change = both(spouse_id(DIFFERENT_ID), setter(手机号码="17000009999")) if moved_line else spouse_id(DIFFERENT_ID)
    second = propose(work.root, "xy-ed2", N5, second_change)
    reviewer = client(app, "reviewer-460105")
    assert _approve(reviewer, first).status_code == 303
    if moved_line:
        assert _approve(reviewer, propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))).status_code == 303
    main = git(work.root, "rev-parse", "refs/heads/main")
    answer = _approve(reviewer, second)
    shown = answer.data.decode()
    assert answer.status_code == 409 and "未合并" in shown and DIFFERENT_ID in shown and path_of(N52) in shown
    assert git(work.root, "rev-parse", "refs/heads/main") == main  # nothing merged
    page = client(app, "xy-ed2").get(second).data.decode()  # the editor sees why
    assert 'id="mark"' in page and "需要修改" in page and "一人一档" in page
    assert 'id="resolve"' not in page
    assert "需要修改" in client(app, "xy-ed2").get("/desk/").data.decode()  # beside the request in the editor's list


def test_the_same_field_changed_on_both_sides_is_shown_to_the_editor_who_takes_either(desk):
    work, app = desk
    first = propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))
    second = propose(work.root, "xy-ed2", N5, setter(邮政编码="570313", 手机号码="17000009999"))
    reviewer = client(app, "reviewer-460105")
    assert _approve(reviewer, first).status_code == 303
    before = git(work.root, "rev-parse", f"refs/heads/desk/xy-ed2/{N5}-1")
    main = git(work.root, "rev-parse", "refs/heads/main")
    assert _approve(reviewer, second).status_code == 409
    assert git(work.root, "rev-parse", "refs/heads/main") == main
    assert git(work.root, "rev-parse", f"refs/heads/desk/xy-ed2/{N5}-1") == before  # the editor's values kept as they were
    editor = client(app, "xy-ed2")
    page = editor.get(second)
    text = page.data.decode()
    assert "冲突" in text and 'id="resolve"' in text and "570312" in text and "570313" in text
    assert 'value="main"' in text and 'value="request"' in text
    # the reviewer sees the mark but cannot choose for the editor
    assert _resolve(reviewer, second, "main").status_code == 403
    assert 'id="resolve"' not in reviewer.get(second).data.decode()
    missing = editor.post(f"{second}/resolve", data={"csrf_token": token(page.data)})
    assert missing.status_code == 400 and "请为每个冲突字段选择" in missing.data.decode()
    assert _resolve(editor, second, "main").status_code == 303
    tip = f"refs/heads/desk/xy-ed2/{N5}-1"
    assert git(work.root, "rev-parse", f"{tip}^") == main  # re-applied on the new main, by the editor
    assert git(work.root, "log", "-1", "--format=%ae", tip) == "xy-ed2@desk.bangfu.invalid"
    assert 'id="mark"' not in editor.get(second).data.decode()  # a new tip: the mark is gone
    assert _approve(reviewer, second).status_code == 303
    text = git(work.root, "show", f"refs/heads/main:{path_of(N5)}")
    assert '邮政编码: "570312"' in text and '手机号码: "17000009999"' in text  # main's value taken, the other change kept


def test_the_editor_can_take_their_own_value_instead(desk):
    work, app = desk
    first = propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))
    second = propose(work.root, "xy-ed2", N5, setter(邮政编码="570313"))
    reviewer = client(app, "reviewer-460105")
    assert _approve(reviewer, first).status_code == 303
    assert _approve(reviewer, second).status_code == 409
    assert _resolve(client(app, "xy-ed2"), second, "request").status_code == 303
    assert _approve(reviewer, second).status_code == 303
    assert '邮政编码: "570313"' in git(work.root, "show", f"refs/heads/main:{path_of(N5)}")


def _resolve(c, url: str, side: str):
    page = c.get(url)
    csrf = token(page.data) if page.status_code == 200 else ""
    return c.post(f"{url}/resolve", data={"csrf_token": csrf, "take-邮政编码": side})


def wait_for(c, url: str, words: tuple[str, ...], seconds: float = 120) -> str:
    """The page once it says none of `words` (the background job still running), within a time limit."""
    deadline = time.monotonic() + seconds
    while True:
        page = c.get(url)
        assert page.status_code == 200
        text = page.data.decode()
        if not any(w in text for w in words) or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


@pytest.fixture
def published(tmp_path):
    """A desk that publishes into tmp_path/site and pushes to a bare repository (the forge) after each approval."""
    work = archive(tmp_path / "repo")
    forge = tmp_path / "forge.git"
    git(tmp_path, "init", "-q", "--bare", str(forge))
    git(work.root, "push", "-q", str(forge), "refs/heads/main:refs/heads/main")
    config = replace(desk_config(work.root), site=tmp_path / "site", forge=str(forge))
    return work, create_app(config), tmp_path / "site", forge


def test_after_approval_the_site_is_published_and_main_pushed_to_the_forge(published):
    work, app, site, forge = published
    url = propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))
    reviewer = client(app, "reviewer-460105")
    answer = _approve(reviewer, url)
    assert answer.status_code == 303 and "/desk/m/" in answer.headers["Location"]
    merged = answer.headers["Location"].rsplit("/", 1)[1]
    assert merged == git(work.root, "rev-parse", "refs/heads/main")
    page = wait_for(reviewer, f"/desk/m/{merged}", ("正在发布", "正在推送"))
    assert "已发布" in page and f'href="/h/460105/{N5}/"' in page, page
    assert "代码托管平台：已推送" in page
    assert (site / "h" / "460105" / N5 / "index.html").is_file()
    assert git(forge, "rev-parse", "refs/heads/main") == merged
    # the editor may look too; a user of another county may not
    assert "已发布" in client(app, "xy-ed").get(f"/desk/m/{merged}").data.decode()
    assert client(app, "lh-ed").get(f"/desk/m/{merged}").status_code == 403
    assert client(app, "xy-ed").get(f"/desk/m/{'0' * 40}").status_code == 404


def test_a_failed_build_and_a_refused_push_are_shown_in_chinese_and_the_push_is_retried(published, caplog):
    work, app, site, forge = published
    site.mkdir()
    (site / "index.html").write_text("someone else's site", encoding="utf-8")  # not a folder bangfu made: build refuses
    main = git(work.root, "rev-parse", "refs/heads/main")
    tree = git(work.root, "rev-parse", "refs/heads/main^{tree}")
    elsewhere = git(work.root, "commit-tree", tree, "-p", main, "-m", "pushed to the forge by someone else")
    git(work.root, "push", "-q", str(forge), f"{elsewhere}:refs/heads/main")
    reviewer = client(app, "reviewer-460105")
    first = _approve(reviewer, propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))).headers["Location"]
    page = wait_for(reviewer, first, ("正在发布", "正在推送"))
    assert "站点：发布失败" in page and "不是本程序生成的站点" in page and "Traceback" not in page, page
    assert "代码托管平台：推送失败" in page and "下次批准合并时会再次推送" in page
    assert git(forge, "rev-parse", "refs/heads/main") == elsewhere  # never forced
    assert any("desk push failed" in r.getMessage() for r in caplog.records)
    assert any("desk publish failed" in r.getMessage() for r in caplog.records)
    # the administrator moves the stray folder away and sets the forge back; the next approval retries both
    (site / "index.html").unlink()
    git(work.root, "push", "-q", "--force", str(forge), f"{main}:refs/heads/main")
    second = _approve(reviewer, propose(work.root, "xy-ed", N52, setter(邮政编码="570313"))).headers["Location"]
    page = wait_for(reviewer, first, ("正在发布", "正在推送", "失败"), seconds=120)
    assert "站点：已发布" in page and "代码托管平台：已推送" in page, page  # the first merge is live with the second
    assert git(forge, "rev-parse", "refs/heads/main") == second.rsplit("/", 1)[1]


def test_one_job_at_a_time_and_one_more_after_it_when_asked_meanwhile(published):
    import fcntl

    from generator.desk.publishing import Publisher

    work, app, site, forge = published
    publisher = app.extensions["bangfu_desk"].publisher
    main = git(work.root, "rev-parse", "refs/heads/main")
    with open(publisher.folder / "lock", "a") as held:  # as a job running in another worker holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        publisher.after_merge(main, wait=True)
        assert publisher.pending.exists() and not site.exists()  # asked for, not run alongside
        other = Publisher(publisher.git, publisher.site, publisher.forge)  # a second gunicorn worker's
        other.after_merge(main, wait=True)
        assert not site.exists()
    publisher.drain()  # the holder, after its job: finds the request left meanwhile and runs once more
    assert (site / "h" / "460105" / N5 / "index.html").is_file()
    assert not publisher.pending.exists() and not publisher.taken.exists()
    assert publisher.status(main).site == "已发布"


def test_the_site_and_forge_come_from_the_unit_and_environment_only(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from generator.cli import cli
    from generator.desk.app import Config
    from generator.errors import BangfuError

    args = ["desk", "unit", "--root", "/srv/a", "--key", "/etc/k", "--merger", "d@x.example", "--secret-file", "/etc/s"]
    done = CliRunner().invoke(cli, [*args, "--site", "/srv/bangfu/site", "--forge", "git@forge.example:union/archive.git"])
    assert done.exit_code == 0, done.output
    assert "Environment=BANGFU_DESK_SITE=/srv/bangfu/site\n" in done.output
    assert "Environment=BANGFU_DESK_FORGE=git@forge.example:union/archive.git\n" in done.output
    assert "ReadWritePaths=/srv/a /srv/bangfu\n" in done.output  # the site is swapped with its spare beside it
    assert "BANGFU_DESK_SITE" not in CliRunner().invoke(cli, args).output
    for bad in (["--forge", "--upload-pack=touch /tmp/x"], ["--forge", "a b"], ["--site", "relative/site"]):
        refused = CliRunner().invoke(cli, args + bad)
        assert refused.exit_code != 0 and "无法生成编辑台的 systemd 单元" in refused.output
    secret = tmp_path / "secret"
    secret.write_text("s" * 32)
    for name, value in {"ROOT": str(tmp_path), "KEY": "/k", "MERGER": "d@x.example", "SECRET_FILE": str(secret)}.items():
        monkeypatch.setenv(f"BANGFU_DESK_{name}", value)
    monkeypatch.delenv("BANGFU_DESK_SITE", raising=False)
    monkeypatch.setenv("BANGFU_DESK_FORGE", "-oProxyCommand=x")
    with pytest.raises(BangfuError, match="BANGFU_DESK_FORGE"):
        Config.from_env()
    monkeypatch.setenv("BANGFU_DESK_FORGE", "/srv/forge.git")
    monkeypatch.setenv("BANGFU_DESK_SITE", "/srv/bangfu/site")
    config = Config.from_env()
    assert config.forge == "/srv/forge.git" and config.site == Path("/srv/bangfu/site")


def exported(root: Path, out: Path, edit) -> bytes:
    """`bangfu export-xlsx` of the archive, then `edit(main sheet, column of each header, row of each 职工编号)` with openpyxl."""
    import subprocess
    import sys

    from openpyxl import load_workbook

    done = subprocess.run(
        [sys.executable, "-m", "generator", "export-xlsx", "--region", "4601", "--out", str(out)], cwd=root, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    book = load_workbook(out)
    sheet = book["困难职工"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    rows = {sheet.cell(row, columns["职工编号"]).value: row for row in range(2, sheet.max_row + 1)}
    edit(sheet, columns, rows)
    book.save(out)
    return out.read_bytes()


def upload(c, data: bytes, name: str = "困难职工档案.xlsx"):
    import io

    page = c.get("/desk/upload")
    assert page.status_code == 200
    return c.post(
        "/desk/upload",
        data={"csrf_token": token(page.data), "workbook": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_uploaded_workbook_shows_the_diff_in_scope_only_and_becomes_one_request(desk, tmp_path, caplog):
    import re

    work, app = desk

    def edit(sheet, columns, rows):
        sheet.cell(rows[N5], columns["邮政编码"]).value = "570399"
        sheet.cell(rows[N52], columns["手机号码"]).value = "17000008888"
        sheet.cell(rows["4601060001"], columns["邮政编码"]).value = "570000"  # 龙华区: not this editor's

    data = exported(work.root, tmp_path / "out.xlsx", edit)
    c = client(app, "xy-ed")
    answer = upload(c, data, name="../../etc/困难职工档案.xlsx")
    page = answer.data.decode()
    assert answer.status_code == 200, page
    assert "4601060001" in page and "不在您的修改范围内" in page and "第 4 行" in page  # the refused row, named
    assert "570399" in page and "17000008888" in page and "570000" not in page
    assert "../" not in page and "etc/" not in page  # only the file's own name is shown
    assert any("upload refused rows" in r.getMessage() for r in caplog.records)
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")  # nothing yet
    upload_token = re.search(r'name="token" value="([^"]+)"', page)[1]
    confirm = {"csrf_token": token(answer.data), "token": upload_token, "note": "按县里的表格更新"}
    other = client(app, "xy-ed2")
    theirs = {**confirm, "csrf_token": token(other.get("/desk/upload").data)}
    assert other.post("/desk/upload/confirm", data=theirs).status_code == 409  # another editor's token opens nothing
    done = c.post("/desk/upload/confirm", data=confirm)
    assert done.status_code == 303
    ref = f"refs/heads/desk/xy-ed/{N5}-1"
    assert git(work.root, "for-each-ref", "--format=%(refname)", "refs/heads/desk/") == ref  # one request
    assert git(work.root, "log", "-1", "--format=%ae", ref) == "xy-ed@desk.bangfu.invalid"
    diff = git(work.root, "diff", "refs/heads/main", ref)
    changed = sorted(line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))
    old_phone, old_code = household(N52)["手机号码"], household(N5)["邮政编码"]
    assert changed == ['+手机号码: "17000008888"', '+邮政编码: "570399"', f'-手机号码: "{old_phone}"', f'-邮政编码: "{old_code}"']
    assert c.post("/desk/upload/confirm", data=confirm).status_code == 409  # used once
    assert _approve(client(app, "reviewer-460105"), f"/desk/r/xy-ed/{N5}-1").status_code == 303


def test_a_bad_workbook_is_a_chinese_message_and_a_formula_is_never_evaluated(desk, tmp_path):
    work, app = desk
    c = client(app, "xy-ed")
    answer = upload(c, b"not a workbook at all")
    assert answer.status_code == 400 and "不是有效的 .xlsx 文件" in answer.data.decode()

    def formula(sheet, columns, rows):
        sheet.cell(rows[N5], columns["家庭年度总收入"]).value = "=10000*3"

    answer = upload(c, exported(work.root, tmp_path / "f.xlsx", formula))
    page = answer.data.decode()
    assert answer.status_code == 200 and 'id="errors"' in page and "家庭年度总收入" in page and 'id="confirm"' not in page
    assert "30000" not in page
    # too large: refused by its length before the body is read (sent raw: the test client would spool a form to disk)
    big = c.post("/desk/upload", data=b"\0" * (9 * 1024 * 1024), content_type="multipart/form-data; boundary=x")
    assert big.status_code == 413 and "超过" in big.data.decode()
    page = c.get("/desk/upload")
    assert c.post("/desk/upload", data={"workbook": (__import__("io").BytesIO(b"x"), "a.xlsx")}).status_code == 400  # no CSRF
    assert client(app, "reviewer-460105").get("/desk/upload").status_code == 403  # reviewers do not edit


def test_a_prepared_upload_naming_another_county_is_refused_and_logged(desk, caplog):
    from generator.desk.state import state_dir, write_json

    work, app = desk
    held = {"main": git(work.root, "rev-parse", "refs/heads/main"), "file": "x.xlsx", "at": time.time()}
    held["files"] = {path_of("4601060001"): dump_record(household("4601060001", 邮政编码="570000"))}
    write_json(state_dir(Git(work.root)) / "uploads" / "xy-ed" / f"{'A' * 22}.json", held)
    c = client(app, "xy-ed")
    page = c.get("/desk/upload")
    answer = c.post("/desk/upload/confirm", data={"csrf_token": token(page.data), "token": "A" * 22, "note": "x"})
    assert answer.status_code == 403
    assert any("desk denied" in r.getMessage() and "4601060001" in r.getMessage() for r in caplog.records)
    assert "refs/heads/desk" not in git(work.root, "for-each-ref")


def test_publishing_never_runs_a_program_the_archive_ships(published, tmp_path):
    """The build runs in the desk's checkout of main: a `generator/` package committed at the archive's root must
    not stand in for the installed program (`python -m` would put the working folder first on sys.path)."""
    work, app, site, _forge = published
    marker = tmp_path / "the-archive's-code-ran"
    planted = {
        "generator/__init__.py": "",
        "generator/__main__.py": f"open({str(marker)!r}, 'w').write('ran')\n",
    }
    for rel, text in planted.items():
        (work.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (work.root / rel).write_text(text, encoding="utf-8")
    git(work.root, "add", "generator")
    git(work.root, "commit", "-q", "-m", "Ship a program with the archive")
    reviewer = client(app, "reviewer-460105")
    merged = _approve(reviewer, propose(work.root, "xy-ed", N5, setter(邮政编码="570312"))).headers["Location"]
    page = wait_for(reviewer, merged, ("正在发布", "正在推送"))
    assert "站点：已发布" in page, page
    assert (site / "h" / "460105" / N5 / "index.html").is_file()
    assert not marker.exists()

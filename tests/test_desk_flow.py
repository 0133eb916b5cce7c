"""The desk from approval on: the combined record checked again, conflicts put to the editor, the site published
and main pushed to a forge in the background. Flask's test client on real git repositories (the forge is a real
bare repository, the site a real `bangfu build`)."""

from __future__ import annotations

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

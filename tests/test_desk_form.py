"""The desk's whole household form, its live check and its drafts, through Flask's test client on real git repositories.

The form is read from the served HTML as a browser submits it (tests/test_desk_e2e.py drives a real browser)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from history_support import REPO, Archive, git, household, path_of
from nginx_support import write_access
from test_desk import N5, N6, client, desk_config, make_archive, token
from werkzeug.datastructures import MultiDict

from generator.desk import form as desk_form
from generator.desk.app import create_app
from generator.records.dump import dump_record
from generator.records.load import parse_bytes
from generator.records.schema import field_map, pattern_of
from generator.validation.validate import Context, check_record

NEW = "4601050002"  # the next free number of 秀英区 in the desk's test archive
SAMPLES = sorted(p for p in (REPO / "records").glob("4*/*.yaml"))


class Browser(HTMLParser):
    """The (name, value) pairs a browser submits for <form id="record"> as served (no script run)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str]] = []
        self.inside = False
        self.template = 0
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.option: tuple[str | None, bool] | None = None
        self.option_text = ""
        self.area: str | None = None
        self.area_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "record":
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template += 1
        if self.template:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.items.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.items.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option":
            self.option, self.option_text = (a.get("value"), "selected" in a), ""
        elif tag == "textarea":
            self.area, self.area_text = a.get("name"), ""

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "template":
            self.template -= 1
        elif tag == "form":
            self.inside = False
        elif self.template:
            return
        elif tag == "option" and self.option is not None:
            value, selected = self.option
            self.options.append((self.option_text if value is None else value, selected))
            self.option = None
        elif tag == "select" and self.select:
            chosen = [v for v, s in self.options if s] or [v for v, _ in self.options[:1]]
            self.items.append((self.select, chosen[-1]))
            self.select = None
        elif tag == "textarea" and self.area:
            self.items.append((self.area, self.area_text))
            self.area = None

    def handle_data(self, data):
        if self.option is not None:
            self.option_text += data
        if self.area is not None:
            self.area_text += data


def served(page: bytes) -> list[tuple[str, str]]:
    parser = Browser()
    parser.feed(page.decode("utf-8"))
    return parser.items


def filled(data: dict) -> list[tuple[str, str]]:
    """What a caseworker types into the form for this record: each value under its place's name (written here from
    the record's shape, independently of the desk's own code)."""
    out: list[tuple[str, str]] = []

    def walk(value, parts):
        name = "-".join(parts)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, [*parts, k])
        elif isinstance(value, list) and field_map()[pattern_of("/" + "/".join(parts))].kind == "multi":
            out.append((f"{name}-shown", "1"))
            out.extend((name, v) for v in value)
        elif isinstance(value, list):
            out.append((f"{name}-rows", str(len(value))))
            for i, v in enumerate(value):
                walk(v, [*parts, str(i)])
        else:
            out.append((name, str(value)))

    walk(data, [])
    return out


@pytest.fixture
def desk(tmp_path):
    work = make_archive(tmp_path / "repo")
    return work, create_app(desk_config(work.root))


def post(c, url: str, items, action: str = "check", note: str = "入户调查"):
    page = c.get(url if url.startswith("/desk/new/") else f"/desk/h/{N5}")  # one token for the session
    data = MultiDict([("csrf_token", token(page.data)), *items, ("action", action), ("note", note)])
    return c.post(url, data=data)


def test_the_form_has_every_section_of_the_paper_form_and_every_field_of_the_schema(desk):
    _, app = desk
    page = client(app, "xy-ed").get(f"/desk/h/{N5}").data.decode()
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings[:4] == ["基本情况", "家庭主要成员", "致困原因与银行账户", "附件"]  # 附件1's order
    for group in ("低保证", "困难情形", "公示", "审批", "帮扶台账", "年度核查", "帮扶责任人", "入户调查", "退出"):
        assert group in headings
    names = {n for n, _ in served(page.encode())}
    for info in field_map().values():  # every field of the schema has its input on the page (members by row)
        if info.kind in ("array", "object") or info.pointer in ("/职工编号", "/所属地区"):
            continue
        name = info.pointer[1:].replace("/*/", "-0-").replace("/", "-")
        if "-0-" in name and not name.startswith(("家庭主要成员", "附件", "困难情形", "公示", "年度核查", "帮扶台账")):
            name = name.replace("-0-", f"-{len(household(N5).get(name.split('-')[0], []))}-")  # the empty new row
        assert name in names or f"{name}-shown" in names, name
    assert 'type="date"' in page and 'inputmode="decimal"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=", page)  # the CSP allows no inline code


def test_a_new_household_filled_in_the_form_becomes_a_request_whose_yaml_validates(desk):
    work, app = desk
    c = client(app, "xy-ed")
    page = c.get("/desk/new/460105")
    assert NEW in page.data.decode()
    data = household(NEW)
    typed = [(k, v) for k, v in filled(data) if k not in ("职工编号", "所属地区")]
    answer = post(c, "/desk/new/460105", typed, action="submit", note="入户调查新建")
    assert answer.status_code == 303, re.findall(r'class="(?:message|problem)"[^>]*>([^<]*)', answer.data.decode())
    ref = f"refs/heads/desk/xy-ed/{NEW}-1"
    raw = git(work.root, "show", f"{ref}:{path_of(NEW)}") + "\n"
    assert raw == dump_record(data)  # canonical YAML, every section as typed
    record, problems = parse_bytes(raw.encode(), path_of(NEW))
    assert record is not None and not [p for p in problems + check_record(record, Context(work.root)) if p.is_error]


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """Every sample household under records/ (read, never changed), on main of a desk archive, and a province editor."""
    work = Archive(tmp_path_factory.mktemp("samples") / "repo")
    write_access(work.root, {"prov-ed": [("46", ["经办人"])]})
    for path in SAMPLES:
        work.put(str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
    git(work.root, "add", "-A")
    git(work.root, "commit", "-q", "-m", "Sample households")
    return work, create_app(desk_config(work.root))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_record_round_trips_form_record_form(samples, path):
    work, app = samples
    c = client(app, "prov-ed")
    data = parse_bytes(path.read_bytes(), str(path.relative_to(REPO)))[0].data
    page = c.get(f"/desk/h/{path.stem}")
    assert page.status_code == 200
    items = [(n, v) for n, v in served(page.data) if n != "csrf_token"]  # the token's time stamp moves
    first, every = desk_form.from_items(items)
    assert desk_form.apply(data, first, every) == data  # form → record: nothing changed, nothing lost
    sent = {n for n, _ in items}
    typed = {n for n, _ in filled(data)} - {"职工编号", "所属地区"}
    assert typed <= sent, sorted(typed - sent)  # every value of the record is on the form
    again = c.post(f"/desk/h/{path.stem}", data=MultiDict([("csrf_token", token(page.data)), *items, ("action", "check")]))
    assert again.status_code == 200 and [i for i in served(again.data) if i[0] != "csrf_token"] == items  # record → form
    assert "没有任何修改" not in again.data.decode()


def test_other_reveals_its_note_and_the_note_is_required_then_kept(desk):
    work, app = desk
    c = client(app, "xy-ed")
    page = c.get(f"/desk/h/{N5}").data.decode()
    assert 'data-other-of="致困原因"' in page and 'data-other="致困原因"' in page
    reasons = [r for r in household(N5)["致困原因"] if r != "其他"] + ["其他"]
    items = [("致困原因-shown", "1"), *[("致困原因", r) for r in reasons]]
    answer = post(c, f"/desk/h/{N5}", items).data.decode()
    assert re.search(r'data-field="致困原因其他注明">错误：[^<]*致困原因其他注明', answer)
    answer = post(c, f"/desk/h/{N5}", [*items, ("致困原因其他注明", "赡养失能老人")], action="submit")
    assert answer.status_code == 303
    raw = git(work.root, "show", f"refs/heads/desk/xy-ed/{N5}-1:{path_of(N5)}")
    assert "  - 其他\n致困原因其他注明: 赡养失能老人" in raw


def test_money_is_kept_exactly_as_a_decimal(desk):
    work, app = desk
    c = client(app, "xy-ed")
    rows = len(household(N5).get("帮扶台账", []))
    entry = {"日期": "2026-01-05", "帮扶类型": "生活救助", "金额": "1234.50", "帮扶人": "测帮扶"}
    items = [("帮扶台账-rows", str(rows + 1)), *[(f"帮扶台账-{rows}-{k}", v) for k, v in entry.items()]]
    items.append(("家庭其他非薪资年收入", "0.10"))
    new = desk_form.apply(household(N5), *desk_form.from_items(items))
    assert new["帮扶台账"][-1]["金额"] == Decimal("1234.50") and isinstance(new["帮扶台账"][-1]["金额"], Decimal)
    checked = post(c, f"/desk/h/{N5}", items).data.decode()
    assert f'name="帮扶台账-{rows}-金额" type="text" value="1234.50"' in checked  # shown back as typed
    assert post(c, f"/desk/h/{N5}", [items[0], *items[1:5]], action="submit").status_code == 303
    raw = git(work.root, "show", f"refs/heads/desk/xy-ed/{N5}-1:{path_of(N5)}")
    assert "    金额: 1234.5\n    帮扶人: 测帮扶" in raw
    record, _ = parse_bytes(raw.encode(), path_of(N5))
    assert Decimal(str(record.data["帮扶台账"][-1]["金额"])) == Decimal("1234.50")
    diff = git(work.root, "diff", "refs/heads/main", f"refs/heads/desk/xy-ed/{N5}-1")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ['+  - 日期: "2026-01-05"', "+    帮扶类型: 生活救助", "+    金额: 1234.5", "+    帮扶人: 测帮扶"]


def _cli(root: Path) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--format", "json", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(done.stdout)


def test_the_live_check_answers_with_the_clis_messages_for_a_bad_id_and_a_one_person_one_archive_clash(desk):
    work, app = desk
    c = client(app, "xy-ed")
    theirs = household(N6)["身份证号"]
    mine = household(N5)["身份证号"]
    bad = mine[:-1] + ("0" if mine[-1] != "0" else "1")  # the right form, the wrong check digit
    answer = post(c, f"/desk/live/{N5}", [("身份证号", bad), ("家庭主要成员-rows", "1"), ("家庭主要成员-0-身份证号", theirs)])
    assert answer.status_code == 200 and answer.is_json
    live = answer.get_json()
    # the CLI on the same record, written into the archive's working tree
    changed = household(N5)
    changed["身份证号"] = bad
    changed["家庭主要成员"][0]["身份证号"] = theirs
    work.write(N5, changed)
    cli = [p for p in _cli(work.root) if p["path"] == path_of(N5)]
    expected_id = [p["message"] for p in cli if p["pointer"] == "/身份证号"]
    expected_clash = [p["message"] for p in cli if p["code"] == "one-person-one-archive"]
    assert expected_id and expected_clash and path_of(N6) in expected_clash[0]
    assert [m.split("：", 1)[1] for m in live["problems"]["身份证号"]] == expected_id
    assert [m.split("：", 1)[1] for m in live["problems"]["家庭主要成员-0-身份证号"]] == expected_clash
    assert live["errors"] >= 2 and live["trace"][0].startswith(f"职工编号 {N5}")


def test_a_wrong_check_digit_is_said_as_it_is_typed_not_after_the_last_required_field(desk):
    """A new household's form misses most required fields while the ID numbers are typed: the check digit is named
    beside each number at once, in the words the CLI uses once the record is complete, and said once only."""
    work, app = desk
    c = client(app, "xy-ed")
    complete = household(NEW)
    mine, spouse = complete["身份证号"], complete["家庭主要成员"][0]["身份证号"]
    wrong = {n: n[:-1] + ("0" if n[-1] != "0" else "1") for n in (mine, spouse)}
    typed = [("姓名", "测试新户"), ("身份证号", wrong[mine])]
    typed += [("家庭主要成员-rows", "1"), ("家庭主要成员-0-身份证号", wrong[spouse])]
    early = post(c, f"/desk/live/{NEW}", typed).get_json()
    assert "缺少必填项「住房类型」" in early["problems"]["住房类型"][0]  # the form is far from complete
    # the CLI on the complete record with the same two wrong numbers
    complete["身份证号"], complete["家庭主要成员"][0]["身份证号"] = wrong[mine], wrong[spouse]
    work.write(NEW, complete)
    cli = [p for p in _cli(work.root) if p["path"] == path_of(NEW) and p["code"] == "id-checksum"]
    by_pointer = {p["pointer"]: [p["message"]] for p in cli}
    assert set(by_pointer) == {"/身份证号", "/家庭主要成员/0/身份证号"}
    assert [m.split("：", 1)[1] for m in early["problems"]["身份证号"]] == by_pointer["/身份证号"]
    assert [m.split("：", 1)[1] for m in early["problems"]["家庭主要成员-0-身份证号"]] == by_pointer["/家庭主要成员/0/身份证号"]
    # once the form is complete, the CLI's own checks say it, once
    full = [(k, v) for k, v in filled(complete) if k not in ("职工编号", "所属地区")]
    later = post(c, f"/desk/live/{NEW}", full).get_json()
    assert [m.split("：", 1)[1] for m in later["problems"]["身份证号"]] == by_pointer["/身份证号"]
    # a number not yet of the schema's form has its own schema problem, and no check-digit guess
    short = post(c, f"/desk/live/{NEW}", [("身份证号", mine[:10])]).get_json()
    assert not any("校验位" in m for m in short["problems"].get("身份证号", []))


def test_the_live_check_sees_main_move(desk):
    work, app = desk
    c = client(app, "xy-ed")
    mine = household(N5)["身份证号"]
    assert "身份证号" not in post(c, f"/desk/live/{N5}", []).get_json()["problems"]
    other = household("4601050007")
    other["身份证号"] = mine
    work.commit(("管理员", "admin@example.invalid"), "Another household with the same person", {"4601050007": other})
    problems = post(c, f"/desk/live/{N5}", []).get_json()["problems"]
    assert "records/460105/4601050007.yaml" in problems["身份证号"][0]


def test_a_crafted_live_check_or_draft_for_another_county_is_403_and_logged(desk, caplog):
    _, app = desk
    c = client(app, "xy-ed")
    page = c.get(f"/desk/h/{N5}")
    for url in (f"/desk/live/{N6}", f"/desk/draft/{N6}", "/desk/live/4601060099"):
        answer = c.post(url, data={"csrf_token": token(page.data), "姓名": "改名"})
        assert answer.status_code == 403
        assert f"user=xy-ed POST '{url}'" in caplog.text
    assert c.post(f"/desk/live/{N5}", data={"姓名": "改名"}).status_code == 400  # no CSRF token


def test_a_draft_survives_is_per_user_and_is_deleted_on_submit(desk):
    work, app = desk
    mine, other = client(app, "xy-ed"), client(app, "xy-ed2")
    answer = post(mine, f"/desk/draft/{N5}", [("姓名", "草稿名"), ("备注", "第一行\r\n第二行"), ("note", "家访更正")])
    assert answer.status_code == 200 and answer.get_json()["saved"]
    stored = list(Path(work.root, ".git", "bangfu-desk", "drafts").rglob("*.json"))
    assert [p.relative_to(work.root / ".git") for p in stored] == [Path("bangfu-desk/drafts/xy-ed", f"{N5}.json")]
    assert git(work.root, "status", "--porcelain") == ""  # outside the working tree
    again = mine.get(f"/desk/h/{N5}").data.decode()
    assert 'name="姓名" type="text" value="草稿名"' in again and "已恢复您" in again
    assert ">第一行\n第二行</textarea>" in again and ">家访更正</textarea>" in again  # the note too
    theirs = other.get(f"/desk/h/{N5}").data.decode()
    assert "草稿名" not in theirs and "已恢复您" not in theirs
    answer = post(mine, f"/desk/h/{N5}", [("姓名", "草稿名")], action="submit", note="更正姓名")
    assert answer.status_code == 303 and not list(work.root.joinpath(".git", "bangfu-desk", "drafts").rglob("*.json"))


def test_a_new_households_draft_keeps_its_number(desk):
    _, app = desk
    c = client(app, "xy-ed")
    assert post(c, f"/desk/draft/{NEW}", [("姓名", "新户草稿")]).status_code == 200
    page = c.get("/desk/new/460105").data.decode()
    assert NEW in page and 'value="新户草稿"' in page
    assert "新户草稿" not in client(app, "xy-ed2").get("/desk/new/460105").data.decode()


def test_a_draft_typed_before_main_moved_keeps_main_s_other_changes(desk):
    work, app = desk
    c = client(app, "xy-ed")
    assert post(c, f"/desk/draft/{N5}", [("姓名", "草稿名")]).status_code == 200
    moved = household(N5)
    moved["邮政编码"] = "570399"
    work.commit(("管理员", "admin@example.invalid"), "Postcode", {N5: moved})
    page = c.get(f"/desk/h/{N5}").data.decode()
    assert 'value="草稿名"' in page and 'value="570399"' in page


def test_without_javascript_check_keeps_a_draft_too(desk):
    _, app = desk
    c = client(app, "xy-ed")
    assert post(c, f"/desk/h/{N5}", [("姓名", "检查名")]).status_code == 200
    assert 'value="检查名"' in c.get(f"/desk/h/{N5}").data.decode()


def test_a_new_households_draft_never_lands_on_the_household_that_took_its_number(desk):
    work, app = desk
    c = client(app, "xy-ed2")
    assert post(c, f"/desk/draft/{NEW}", [("number", NEW), ("姓名", "新户草稿")]).status_code == 200
    work.commit(("管理员", "admin@example.invalid"), "Someone else's household", {NEW: household(NEW)})
    page = c.get(f"/desk/h/{NEW}").data.decode()
    assert "新户草稿" not in page and "已恢复您" not in page
    assert "4601050003" in c.get("/desk/new/460105").data.decode()


@pytest.mark.nginx
@pytest.mark.browser
def test_in_a_real_browser_problems_and_trace_follow_typing_rows_are_added_and_the_draft_comes_back(tmp_path, new_page):
    """Behind real nginx (its CSP, basic auth) and gunicorn, in headless Chromium: no button is pressed to check."""
    from nginx_support import NGINX, PASSWORD
    from test_desk_e2e import CHROMIUM, desk_stack

    if not (Path(NGINX).exists() and Path(CHROMIUM).exists()):
        pytest.skip("needs Debian nginx and chromium")
    from playwright.sync_api import expect

    # the session's Chromium (conftest's new_page): a second sync_playwright in one process is refused
    with desk_stack(tmp_path) as (port, _work):
        page = new_page(http_credentials={"username": "xy-ed", "password": PASSWORD})
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"http://127.0.0.1:{port}/desk/h/{N5}")
        page.wait_for_selector("#steps li")
        before = page.locator("#conclusion").inner_text()
        page.fill("input[name=邮政编码]", "5703")
        page.wait_for_selector('.problem[data-field="邮政编码"]', timeout=10000)
        assert "错误" in page.locator('.problem[data-field="邮政编码"]').inner_text()
        page.fill("input[name=邮政编码]", "570312")
        page.wait_for_selector('.problem[data-field="邮政编码"]', state="detached", timeout=10000)
        assert not page.is_visible("input[name=致困原因其他注明]")
        page.check('input[name=致困原因][value="其他"]')
        assert page.is_visible("input[name=致困原因其他注明]")
        page.wait_for_selector('.problem[data-field="致困原因其他注明"]', timeout=10000)
        rows = len(household(N5).get("帮扶台账", []))
        page.click('button.add-row[data-for="帮扶台账"]')
        page.fill(f'input[name="帮扶台账-{rows + 1}-金额"]', "12.5元")
        page.wait_for_selector(f'.problem[data-field="帮扶台账-{rows + 1}-金额"]', timeout=10000)
        page.select_option("select[name=困难类别]", "意外致困户")
        expect(page.locator("#conclusion")).not_to_have_text(before, timeout=10000)  # the trace follows the form
        expect(page.locator("#record")).to_have_attribute("data-saved", re.compile(".+"), timeout=10000)
        page.reload()
        assert page.input_value("input[name=邮政编码]") == "570312" and "已恢复您" in page.inner_text("#message")
        assert page.input_value(f'input[name="帮扶台账-{rows}-金额"]') == "12.5元"  # the new row, drawn from the draft
        assert blocked == []


def test_live_problems_name_the_browsers_row_after_a_row_is_removed(desk):
    _, app = desk
    c = client(app, "xy-ed")
    rows = str(len(household(N5)["家庭主要成员"]))
    items = [("家庭主要成员-rows", rows), ("家庭主要成员-0-删除", "是"), ("家庭主要成员-1-月收入", "不知道")]
    problems = post(c, f"/desk/live/{N5}", items).get_json()["problems"]
    assert "家庭主要成员-1-月收入" in problems and "家庭主要成员-0-月收入" not in problems  # the record's item 0, form row 1
    page = post(c, f"/desk/h/{N5}", items).data.decode()  # drawn again from the record: item 0 is row 0 now
    assert 'data-field="家庭主要成员-0-月收入"' in page


@pytest.mark.slow
def test_the_live_check_benchmark_runs_on_a_small_province(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "desk_live.py"), "--households", "300", "--checks", "5", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"live check of 5 households: p50 \d+ ms, p95 \d+ ms, max \d+ ms; failed answers: 0", done.stdout)


def test_section_headings_name_fields_of_the_schema():
    assert set(desk_form.HEADINGS) <= {item.name for item in desk_form.tree()}  # a renamed field fails here, not silently
    assert [item for s in desk_form.sections() for item in s.fields] == list(desk_form.tree())  # every field, in order


def test_without_javascript_check_shows_the_same_one_person_one_archive_problem(desk):
    _, app = desk
    c = client(app, "xy-ed")
    items = [("家庭主要成员-rows", "1"), ("家庭主要成员-0-身份证号", household(N6)["身份证号"])]
    live = post(c, f"/desk/live/{N5}", items).get_json()["problems"]["家庭主要成员-0-身份证号"]
    page = post(c, f"/desk/h/{N5}", items).data.decode()
    shown = re.findall(r'data-field="家庭主要成员-0-身份证号">([^<]+)<', page)
    assert live and shown == live and path_of(N6) in shown[0]


def test_the_live_check_judges_by_the_standards_on_main_not_the_server_copys_working_tree(desk):
    """The desk merges with plumbing, so its working tree can hold older standards than main."""
    work, app = desk
    c = client(app, "xy-ed")
    before = "\n".join(post(c, f"/desk/live/{N5}", []).get_json()["trace"])
    standards = work.root / "records" / "_settings" / "standards.yaml"
    old = standards.read_text(encoding="utf-8")
    raised = old.replace("标准:\n", '标准:\n  - 地区: "460105"\n    生效日期: "2016-01-01"\n    城市低保标准: 4321\n'
                         "    农村低保标准: 4123\n    依据: 示例：秀英区标准\n", 1)  # fmt: skip
    standards.write_text(raised, encoding="utf-8")
    git(work.root, "commit", "-q", "-am", "Raise 秀英's 低保 standard")
    standards.write_text(old, encoding="utf-8")  # the server copy's working tree stays behind main
    after = "\n".join(post(c, f"/desk/live/{N5}", []).get_json()["trace"])
    assert "4,321" not in before and "4321" not in before
    assert "4,321" in after or "4321" in after, after

"""`bangfu validate` through the real CLI: exit codes and exact output."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import CASES

from generator.cli import cli
from generator.records import cache

TARGET = "records/460105/4601059001.yaml"


def _invoke(root, *args):
    return CliRunner().invoke(cli, ["validate", "--root", str(root), *args], catch_exceptions=False)


def _put(root, text, rel=TARGET):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_archive_exits_0(archive, base_record_text):
    _put(archive, base_record_text)
    result = _invoke(archive)
    assert result.exit_code == 0
    assert result.output == "共检查 1 份档案：全部通过。\n"


def test_error_is_located_and_exits_1(archive, base_record_text):
    _put(archive, base_record_text.replace('身份证号: "460100198003159015"', "身份证号: 460100198003159015"))
    result = _invoke(archive)
    assert result.exit_code == 1
    line = next(i for i, t in enumerate(base_record_text.splitlines(), 1) if "460100198003159015" in t)
    assert result.output == (
        f"{TARGET}:{line}: 身份证号: 写成了数字 460100198003159015：前导零和末尾的 X 会丢失、0 开头的数字会被当作八进制，"
        '请加引号，写作 "460100198003159015"。\n'
        "共检查 1 份档案：1 个错误，0 个警告。\n"
    )


def test_json_format_lists_every_problem(archive, base_record_text):
    text = base_record_text.replace("民族: 汉族", "民族: 汉").replace('邮政编码: "570311"', "邮政编码: 0570311")
    _put(archive, text)
    result = _invoke(archive, "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.output)
    assert {(i["field"], i["code"]) for i in items} == {("民族", "enum"), ("邮政编码", "type")}
    assert set(items[0]) == {"path", "line", "pointer", "field", "code", "severity", "message"}
    assert all(i["path"] == TARGET and i["line"] for i in items)


def test_warning_fails_only_with_strict(archive, base_record_text):
    _put(archive, base_record_text.replace('"6200000000000013"', '"6200000000000014"'))
    assert _invoke(archive).exit_code == 0
    strict = _invoke(archive, "--strict")
    assert strict.exit_code == 1
    assert "（警告）银行卡号校验位不符" in strict.output


def test_named_file_is_checked_against_the_whole_archive(archive, base_record_text):
    _put(archive, base_record_text)
    second = base_record_text.replace('"4601059001"', '"4601059002"')
    path = _put(archive, second, "records/460105/4601059002.yaml")
    result = _invoke(archive, str(path))
    assert result.exit_code == 1
    assert "一人一档" in result.output
    assert "records/460105/4601059001.yaml:" not in result.output


def test_missing_path_is_a_usage_error(archive):
    result = _invoke(archive, str(archive / "nope.yaml"))
    assert result.exit_code == 2
    assert "路径不存在" in result.output


def test_unknown_option_is_a_chinese_usage_error(archive):
    result = CliRunner().invoke(cli, ["validate", "--bogus"])
    assert result.exit_code == 2
    assert result.output.startswith("用法错误：没有这个选项")


def test_no_records_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "找不到档案目录" in result.output


def test_every_trap_case_gives_a_chinese_located_message(archive):
    for case in sorted((CASES / "invalid").glob("*.yaml")):
        _put(archive, "x").write_bytes(case.read_bytes())
        result = _invoke(archive, "--no-cache", "--strict")
        assert result.exit_code == 1, case.name
        assert "Traceback" not in result.output
        assert f"{TARGET}:" in result.output, (case.name, result.output)


def test_cache_gives_the_same_answer(archive, base_record_text):
    _put(archive, base_record_text.replace("民族: 汉族", "民族: 汉"))
    first = _invoke(archive)
    again = _invoke(archive)
    assert (first.exit_code, first.output) == (again.exit_code, again.output)
    assert list(cache.cache_dir(archive).glob("checks-*.pickle")), "the cache was written"
    assert not (archive / ".bangfu-cache").exists(), "and not into the archive"


def test_every_command_is_mapped_to_its_module():
    import importlib

    from generator.cli import COMMAND_MODULES

    found = {}
    for module in set(COMMAND_MODULES.values()):
        for command in importlib.import_module(f"generator.commands.{module}").COMMANDS:
            found[command.name] = module
    assert found == COMMAND_MODULES


def test_every_command_has_chinese_help_with_an_example():
    import click

    from generator.cli import COMMAND_MODULES

    for name in COMMAND_MODULES:
        command = cli.get_command(None, name)
        leaves = [[name, sub] for sub in command.commands] if isinstance(command, click.Group) else [[name]]
        for words in leaves:
            result = CliRunner().invoke(cli, [*words, "--help"])
            assert result.exit_code == 0, words
            assert "用法：" in result.output and "例" in result.output, words


def test_the_archive_named_any_way_takes_one_route(archive, base_record_text, monkeypatch):
    """`validate`, `validate records`, `validate /abs/records`, `validate <root>`: one route, the same cache hits.

    Naming records/ once listed and resolved every file before validating the whole archive anyway (slower
    warm, and much slower through an absolute path); now no form lists files, and a warm run checks nothing.
    """
    from generator.validation import validate as validate_module

    _put(archive, base_record_text)
    _put(archive, base_record_text.replace("4601059001", "4601059002"), "records/460105/4601059002.yaml")
    first = _invoke(archive)
    routes, checked, listed = [], [], []
    real_tree, real_check, real_expand = validate_module._validate_tree, validate_module.check_record, validate_module.expand
    monkeypatch.setattr(
        validate_module, "_validate_tree", lambda root, paths, *a: routes.append(paths) or real_tree(root, paths, *a)
    )
    monkeypatch.setattr(validate_module, "check_record", lambda *a: checked.append(a) or real_check(*a))
    monkeypatch.setattr(validate_module, "expand", lambda paths: listed.append(paths) or real_expand(paths))
    monkeypatch.chdir(archive)
    for form in ([], ["records"], ["records/"], ["./records"], [str(archive / "records")], [str(archive)], ["."]):
        result = CliRunner().invoke(cli, ["validate", *form], catch_exceptions=False)
        assert (result.exit_code, result.output) == (first.exit_code, first.output), form
    assert routes == [None] * 7 and checked == [] and listed == []
    _put(archive, base_record_text.replace("4601059001", "4601059003"), "records/460105/4601059003.yaml")
    assert "共检查 3 份档案" in CliRunner().invoke(cli, ["validate", str(archive / "records")], catch_exceptions=False).output
    assert len(checked) == 1  # only the new file is checked


def test_an_unknown_field_with_a_slash_is_located_on_its_line(archive, base_record_text):
    """The unknown-field problem names the key by an escaped pointer, so its line is found (it was left blank)."""
    text = base_record_text.rstrip("\n") + "\n备注/说明: 见附件\n"
    _put(archive, text)
    result = _invoke(archive, "--format", "json")
    line = len(text.splitlines())
    found = [p for p in json.loads(result.output) if p["code"] == "unknown-field"]
    assert [(p["line"], p["pointer"]) for p in found] == [(line, "/备注~1说明")]


# -- Click's own messages through gettext (issue 15 item 11) ---------------------------------------------------------


def test_click_messages_are_translated_without_touching_the_users_words(tmp_path):
    """The old word-by-word rewrite turned the path "Option File Path.yaml" into "选项 文件 路径.yaml"."""
    result = CliRunner().invoke(cli, ["fmt", "--root", str(tmp_path), "Option File Path.yaml"], prog_name="bangfu")
    assert result.exit_code == 2
    assert result.output == (
        "用法错误：'[路径]...' 的值无效：路径“Option File Path.yaml”不存在。\n运行 bangfu fmt --help 查看用法。\n"
    )
    result = CliRunner().invoke(cli, ["export-xlsx", "--status", "Did you mean Option"])
    assert result.exit_code == 2
    assert result.output.startswith("用法错误：'--status' 的值无效：“Did you mean Option”不是可选值之一：'调查中', ")
    result = CliRunner().invoke(cli, ["notice", "--region", "4601", "--start", "2026-01-01", "--days", "Path"])
    assert result.output.startswith("用法错误：'--days' 的值无效：“Path”不是有效的整数。\n")


def _display_width(text):
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_help_columns_line_up_in_display_width():
    """`export-xlsx --help` listed Chinese choices and pushed their descriptions past the column (a CJK character
    is two columns wide on a terminal)."""
    output = CliRunner().invoke(cli, ["export-xlsx", "--help"]).output
    options = output.split("选项：\n", 1)[1].splitlines()
    starts = set()
    for line in options:
        term, gap, text = line.strip().partition("  ")
        if gap and text.strip():
            starts.add(_display_width(line[: len(line) - len(text.lstrip())]))
        else:
            assert not line.startswith("  -") or line.strip() == term, line
    assert len(starts) == 1, output
    assert "  --layout [一行一户|一表一户]    版式：" in output, output
    assert all(_display_width(line) <= 80 for line in options), output


# -- the archive around the current folder (issue 15 item 7) ---------------------------------------------------------


def test_validate_and_explain_run_from_a_folder_inside_the_archive(archive, base_record_text, monkeypatch):
    """`cd records/460105 && bangfu validate 4601059001.yaml` blamed the standards file in English OS text."""
    _put(archive, base_record_text)
    monkeypatch.chdir(archive / "records" / "460105")
    result = CliRunner().invoke(cli, ["validate", "4601059001.yaml"])
    assert (result.exit_code, result.output) == (0, "共检查 1 份档案：全部通过。\n")
    result = CliRunner().invoke(cli, ["explain", "4601059001.yaml"])
    assert result.output.startswith("职工编号 4601059001，"), result.output
    _put(archive, base_record_text.replace("民族: 汉族", "民族: 汉"))
    result = CliRunner().invoke(cli, ["validate", "4601059001.yaml"])
    assert result.exit_code == 1
    assert result.output.startswith(f"{TARGET}:"), result.output


def test_outside_an_archive_the_standards_file_is_named_in_chinese(tmp_path, base_record_text, monkeypatch):
    _put(tmp_path, base_record_text)
    monkeypatch.chdir(tmp_path / "records" / "460105")
    result = CliRunner().invoke(cli, ["explain", "4601059001.yaml"])
    assert result.exit_code == 1
    assert result.output == (
        "错误：认定标准文件有误。\nrecords/_settings/standards.yaml: 无法读取认定标准文件：文件或文件夹不存在。"
        "请在档案库（含 records/_settings/ 的文件夹）或其中的任一文件夹里运行，或用 --root 指明档案库。\n"
    )


# -- what a Chinese input method types in place of YAML's punctuation (issue 15 item 6) -------------------------------


def _line_count(text):
    return len(text.splitlines())


def test_a_fullwidth_colon_is_named_on_its_own_line(archive, base_record_text):
    _put(archive, base_record_text.replace("家庭人口: 3", "家庭人口：3"))
    result = _invoke(archive, "--no-cache")
    assert result.exit_code == 1
    assert result.output == (
        f"{TARGET}:32: YAML 格式错误：用了全角冒号“：”，请改为半角“:”加空格，写作“家庭人口: 3”。\n"
        "共检查 1 份档案：1 个错误，0 个警告。\n"
    )


def test_a_fullwidth_colon_on_the_last_line_is_not_reported_past_the_end(archive, base_record_text):
    text = base_record_text.rstrip("\n") + "\n备注：已核实\n"
    _put(archive, text)
    result = _invoke(archive, "--no-cache")
    assert result.output.startswith(
        f"{TARGET}:{_line_count(text)}: YAML 格式错误：用了全角冒号“：”，请改为半角“:”加空格，写作“备注: 已核实”。\n"
    ), result.output


def test_a_fullwidth_space_is_named(archive, base_record_text):
    _put(archive, base_record_text.replace("民族: 汉族", "民族:\u3000汉族"))
    result = _invoke(archive, "--no-cache")
    assert result.output.startswith(f"{TARGET}:7: YAML 格式错误：冒号后用了全角空格“\u3000”，请改为半角空格。\n"), result.output


def test_fullwidth_quotes_are_named(archive, base_record_text):
    _put(archive, base_record_text.replace('身份证号: "460100198003159015"', "身份证号: “460100198003159015”"))
    result = _invoke(archive, "--no-cache")
    assert result.exit_code == 1
    assert result.output.startswith(
        f'{TARGET}:10: 身份证号: 用了全角引号“”，引号成了内容的一部分：文字请改用半角引号 "…"，'
        "数字不加引号。““460100198003159015””格式不正确。"
    ), result.output


def test_help_paragraphs_wrap_in_display_width_without_stray_spaces():
    """`validate --help` printed a 110-column line with "目录。 每个问题" (click joins lines with a space and
    counts a Chinese character as one column)."""
    output = CliRunner().invoke(cli, ["validate", "--help"], prog_name="bangfu").output
    assert "\n  不给路径时校验 records/ 下全部档案；可以给出文件或目录。每个问题一行：" in output, output
    assert "目录。 每" not in output
    assert all(_display_width(line) <= 80 for line in output.splitlines()), output
    assert "\n  例：\n    bangfu validate\n    bangfu validate records/460105/4601050001.yaml --format json\n" in output


def test_a_clock_set_back_does_not_take_a_later_days_cached_result(archive, base_record_text, monkeypatch):
    """A record checked clean on 2 December names 20 November; on 10 November (same rules period) that is future."""
    visit = '  - 日期: "2026-11-20"\n    帮扶类型: 送温暖慰问\n    金额: 500\n    帮扶人: 测试甲\n'
    assert base_record_text.rstrip("\n").endswith("帮扶人: 示例帮扶人"), "the ledger ends the record"
    _put(archive, base_record_text.rstrip("\n") + "\n" + visit)
    monkeypatch.setenv("BANGFU_TODAY", "2026-12-02")
    assert _invoke(archive).exit_code == 0
    monkeypatch.setenv("BANGFU_TODAY", "2026-11-10")
    cached, fresh = _invoke(archive), _invoke(archive, "--no-cache")
    assert (cached.exit_code, cached.output) == (fresh.exit_code, fresh.output)
    assert cached.exit_code == 1 and "在将来（今天是 2026-11-10）" in cached.output
    monkeypatch.setenv("BANGFU_TODAY", "2026-12-03")  # and forward again: the clean result holds
    assert _invoke(archive).exit_code == 0

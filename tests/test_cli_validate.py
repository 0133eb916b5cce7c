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
    monkeypatch.setattr(validate_module, "_validate_tree", lambda root, paths, *a: routes.append(paths) or real_tree(root, paths, *a))
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

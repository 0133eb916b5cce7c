"""bangfu impact: hand-computed households just below, at and above each line that a change of the standards moves."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from rules_support import STANDARDS_YAML, dump, member, standards, with_income

from generator.cli import cli
from generator.history.impact import apply_sets
from generator.history.impact_report import deciding, to_csv, to_json, to_markdown, to_text
from generator.rules import assess
from generator.rules.facts import read_household
from generator.rules.impact import GAINED, LOST, MOVED, NEAR, Entry, compare
from generator.rules.standards import STANDARDS_PATH, load_standards

OLD = standards()  # 海口 urban 600 (upper 900) in 2018; minimum wage 1,000 (province); multiplier 1.5
URBAN_RISE = "4601:城市低保标准=650@2018-01-01"  # 650 → upper 975
WAGE_RISE = "4601:最低工资标准=1100@2018-01-01"
MULTIPLIER_RISE = "46:边缘倍数=1.6@2018-01-01"  # urban 海口 600 × 1.6 = 960


def _no_situations(monthly: str) -> dict:
    return with_income(monthly, 困难情形=None)


def _jobless_son(monthly: str, *, situations: bool = True) -> dict:
    """Worker earning `monthly`, spouse and children without income, and a son of 28 jobless without a certificate.

    Per head: (monthly + minimum wage) ÷ 5 (the son's imputed income is the minimum wage).
    """
    data = with_income(monthly, size=5) if situations else with_income(monthly, size=5, 困难情形=None)
    data["家庭主要成员"].append(member("测试戊", "子", "男", "1990-01-01", 0, "无业"))
    return data


def _major_illness(monthly: str, expense: int) -> dict:
    data = with_income(monthly)
    data["家庭主要成员"][0]["健康状况"] = "重大疾病"
    data["困难情形"] = [{"情形": "重大疾病", "涉及人员": "测试乙", "证明材料": "测试乙诊断证明"}]
    data["特殊支出"] = [{"类别": "重大疾病医疗支出", "年度金额": expense, "凭证": "测试乙医疗费用票据"}]
    return data


@dataclass
class Case:
    id: str
    change: str
    data: dict
    kind: str | None  # None: not listed
    before: str | None
    after: str | None
    county: str = "460105"


CASES = [
    # The urban 低保 standard rises 600 → 650: at or below it a household is 低保边缘户 without any situation.
    Case("urban-below-new-dibao", URBAN_RISE, _no_situations("2599.96"), GAINED, None, "低保边缘户"),  # 649.99
    Case("urban-at-new-dibao", URBAN_RISE, _no_situations("2600"), GAINED, None, "低保边缘户"),  # 650.00
    Case("urban-above-new-dibao", URBAN_RISE, _no_situations("2600.04"), NEAR, None, None),  # 650.01, within 5 %
    # …and the edge's upper limit rises 900 → 975 for a household with a chronic illness.
    Case("urban-below-new-upper", URBAN_RISE, with_income("3899.96"), GAINED, None, "低保边缘户"),  # 974.99
    Case("urban-at-new-upper", URBAN_RISE, with_income("3900"), GAINED, None, "低保边缘户"),  # 975.00
    Case("urban-above-new-upper", URBAN_RISE, with_income("3900.04"), NEAR, None, None),  # 975.01
    Case("urban-far-above", URBAN_RISE, with_income("8000"), None, None, None),  # 2,000
    # The minimum wage rises 1,000 → 1,100: the idle son's imputed income rises by 100 a month (20 per head).
    Case("wage-below-upper", WAGE_RISE, _jobless_son("3399"), NEAR, "低保边缘户", "低保边缘户"),  # 879.8 → 899.8
    Case("wage-at-upper", WAGE_RISE, _jobless_son("3400"), NEAR, "低保边缘户", "低保边缘户"),  # 880 → 900
    Case("wage-above-upper", WAGE_RISE, _jobless_son("3401"), LOST, "低保边缘户", None),  # 880.2 → 900.2
    Case("wage-at-dibao", WAGE_RISE, _jobless_son("1900", situations=False), NEAR, "低保边缘户", "低保边缘户"),  # 580 → 600
    Case("wage-above-dibao", WAGE_RISE, _jobless_son("1901", situations=False), LOST, "低保边缘户", None),  # 580.2 → 600.2
    Case("wage-nobody-imputed", WAGE_RISE, with_income("3400"), None, None, None),  # 850, no idle adult
    # The multiplier rises 1.5 → 1.6: the urban upper limit 900 → 960.
    Case("multiplier-below-upper", MULTIPLIER_RISE, with_income("3839.96"), GAINED, None, "低保边缘户"),  # 959.99
    Case("multiplier-at-upper", MULTIPLIER_RISE, with_income("3840"), GAINED, None, "低保边缘户"),  # 960.00
    Case("multiplier-above-upper", MULTIPLIER_RISE, with_income("3840.04"), NEAR, None, None),  # 960.01
    # 950 a head with a grave illness: above 900, 意外致困户 after its expenses; within 960, 低保边缘户.
    Case("multiplier-moves-category", MULTIPLIER_RISE, _major_illness("3800", 24000), MOVED, "意外致困户", "低保边缘户"),
    # A county inherits its city's change (龙华区 sets nothing of its own); 三亚 is untouched.
    Case("county-inherits-city", URBAN_RISE, _no_situations("2600"), GAINED, None, "低保边缘户", county="460106"),
    Case("other-city-untouched", URBAN_RISE, _no_situations("2600"), None, None, None, county="460202"),
]


def _facts(data: dict, county: str) -> Entry:
    return Entry.of(f"records/{county}/{data['职工编号']}.yaml", read_household(data, county), data["身份证号"], data["姓名"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_line(case: Case) -> None:
    new = apply_sets(OLD, [case.change])
    result = compare([_facts(case.data, case.county)], OLD, new)
    listed = result.households
    if case.kind is None:
        assert listed == []
        return
    [item] = listed
    assert item.kind == case.kind
    assert (item.before.category, item.after.category) == (case.before, case.after)
    assert item.immediate  # surveyed 2018-06-01, after the change's 2018-01-01
    assert result.day.isoformat() == "2018-01-01"  # the earliest changed effective date
    # What impact says under the new standards is what the rules (validate, explain) say with them.
    assert assess(case.data, case.county, new).category == case.after
    assert assess(case.data, case.county, OLD).category == case.before
    if case.kind == NEAR:
        assert item.near
    # The deciding rule listed is the text explain shows for that step.
    assert deciding(item.after) in assess(case.data, case.county, new).to_text()


def test_near_names_the_line_and_side() -> None:
    result = compare([_facts(_jobless_son("3400"), "460105")], OLD, apply_sets(OLD, [WAGE_RISE]))
    assert result.households[0].near == "家庭月人均收入 900.00 元恰好等于边缘上限 900 元"


def test_a_household_surveyed_before_the_date_is_judged_as_reverified_then() -> None:
    change = "4601:城市低保标准=650@2020-01-01"
    data = _no_situations("2600")  # surveyed 2018-06-01
    result = compare([_facts(data, "460105")], OLD, apply_sets(OLD, [change]))
    [item] = result.households
    assert not item.immediate
    assert item.after.assessed_on.isoformat() == "2020-01-01"
    # In 2020 the city's own 2019 standard (700) is in force before the change: the household qualifies either way.
    assert (item.before.category, item.after.category) == ("低保边缘户", "低保边缘户")
    assert "按 2020-01-01 复核计" in item.after.date_basis


def test_exited_households_are_not_assessed() -> None:
    data = _no_situations("2600")
    data["状态"] = "已注销"
    result = compare([_facts(data, "460105")], OLD, apply_sets(OLD, [URBAN_RISE]))
    assert (result.assessed, result.households) == (0, [])


def _archive_with(archive, *households: tuple[str, dict]):
    for county, data in households:
        (archive / "records" / county).mkdir(exist_ok=True)
        (archive / "records" / county / f"{data['职工编号']}.yaml").write_text(dump(data), encoding="utf-8")
    (archive / STANDARDS_PATH).write_text(STANDARDS_YAML, encoding="utf-8")
    return archive


def test_cli_formats(archive) -> None:
    gained = _no_situations("2600")
    gained["姓名"] = '=HYPERLINK("http://x")'
    lost = _jobless_son("3401")
    lost["职工编号"] = "4601050002"
    _archive_with(archive, ("460105", gained), ("460105", lost))
    runner = CliRunner()
    args = ["impact", "--root", str(archive), "--set", URBAN_RISE, "--set", WAGE_RISE]
    text = runner.invoke(cli, args, catch_exceptions=False)
    assert text.exit_code == 0, text.output
    assert (
        "调整所及地区在档 2 户，其中适用标准有变化的 2 户：新符合 1 户 4 人，不再符合 0 户 0 人" in text.output
    )  # the urban rise also keeps the son's family in
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    # 900.20 a head under the new wage, but the new upper limit is 975 (7.7 % away): not listed.
    assert [h["变化"] for h in data["档案"]] == ["新符合"] and data["适用标准有变化户数"] == 2
    assert data["按地区"][0]["地区"] == "46" and data["按地区"][-1]["地区"] == "460105"
    assert data["档案"][0]["身份证号"].count("*") == 10
    rows = list(csv.reader(io.StringIO(runner.invoke(cli, [*args, "--format", "csv"]).stdout_bytes.decode("utf-8-sig"))))
    assert rows[1][5].startswith("'=")  # a name that is a formula stays text
    markdown = runner.invoke(cli, [*args, "--format", "markdown"]).output
    assert "HYPERLINK" not in markdown  # masked: only the first and last character
    assert "测试戊" not in markdown and "4601050001" in markdown


def test_markdown_escapes_and_masks() -> None:
    data = _no_situations("2600")
    data["姓名"] = "<img src=x>张"
    result = compare([_facts(data, "460105")], OLD, apply_sets(OLD, [URBAN_RISE]))
    out = to_markdown(result)
    assert "<" not in out.replace("<sub>", "").replace("</sub>", "") and "&lt;\\*" in out  # masked, then escaped
    assert "张" in out and "src" not in out  # masked to first and last character
    assert to_text(result).count("新符合") >= 2 and json.loads(to_json(result))["档案"][0]["姓名"] == "<img src=x>张"
    assert to_csv(result).startswith("\ufeff".encode())


@pytest.mark.parametrize(
    "bad, message",
    [
        ("4601:城市低保标准=650", "地区:项目=数值@生效日期"),
        ("9999:城市低保标准=650@2027-01-01", "不是本省的行政区划代码"),
        ("4601:低保=650@2027-01-01", "项目应为"),
        ("4601:城市低保标准=abc@2027-01-01", "应是大于 0 的数"),
        ("4601:城市低保标准=650.001@2027-01-01", "超过两位小数"),
        ("46:边缘倍数=0.9@2027-01-01", "边缘倍数应大于 1"),
        ("4601:城市低保标准=650@2027-13-01", "不是有效日期"),
    ],
)
def test_bad_set_is_a_chinese_message(archive, bad: str, message: str) -> None:
    done = CliRunner().invoke(cli, ["impact", "--root", str(archive), "--set", bad])
    assert done.exit_code != 0 and message in done.output and "Traceback" not in done.output


def test_a_wrong_standards_file_names_file_line_and_field(archive, tmp_path) -> None:
    proposed = tmp_path / "拟调整.yaml"
    proposed.write_text(
        '标准:\n  - 地区: "4601"\n    生效日期: "2027-01-01"\n    城市低保标准: -5\n    依据: 测试\n', encoding="utf-8"
    )
    done = CliRunner().invoke(cli, ["impact", "--root", str(archive), "--standards", str(proposed)])
    assert done.exit_code == 1
    assert f"{proposed}:4" in done.output and "城市低保标准" in done.output


def test_review_of_a_standards_change_shows_the_summary(tmp_path) -> None:
    from history_support import R46, R4601, Archive
    from history_support import household as valid_household

    from generator.history.review import review

    repo = Archive(tmp_path / "repo")
    # 24,000 a year for 3 people: 666.67 a head, within 海口's 2016 upper limit 520 × 1.5 = 780.
    numbers = ("4601059001", "4601059002")
    repo.pull_request("add", R46, R4601, 1, {n: valid_household(n) for n in numbers})
    repo.branch("调整标准")
    path = repo.root / STANDARDS_PATH
    text = path.read_text(encoding="utf-8").replace("城市低保标准: 520", "城市低保标准: 420", 1)  # upper 630
    repo.commit(R46, "Lower 海口's 2016 urban standard", {}, other={STANDARDS_PATH: text})
    result = review(repo.root, "main..调整标准")
    assert result.impact is not None and [a.kind for a in result.impact.households] == [LOST, LOST]
    markdown = result.to_markdown()
    assert "### 标准调整的影响" in markdown and "海口市（4601）城市低保标准：520 元 → 420 元（2016-01-01 起）" in markdown
    assert "| 　　秀英区（460105） | 0/0 | 2/6 | 0/0 | 0/0 |" in markdown
    name = valid_household(numbers[0])["姓名"]
    assert name not in markdown and f"{numbers[0]} {name[0]}\\*" in markdown  # masked, escaped
    summary = json.loads(result.to_json())["标准调整的影响"]
    assert summary["前几户"][LOST][0]["调整后"] == "不能认定" and "*" in summary["前几户"][LOST][0]["姓名"]
    # The whole command on the same range says the same.
    done = CliRunner().invoke(cli, ["impact", "main..调整标准", "--root", str(repo.root), "--format", "json"])
    assert [h["变化"] for h in json.loads(done.output)["档案"]] == [LOST, LOST]


def test_review_without_a_standards_change_has_no_summary(tmp_path) -> None:
    from history_support import R46, R4601, Archive
    from history_support import household as valid_household

    from generator.history.review import review

    repo = Archive(tmp_path / "repo")
    repo.pull_request("add", R46, R4601, 1, {"4601059001": valid_household("4601059001")})
    repo.branch("edit")
    repo.commit(R46, "Edit", {"4601059001": valid_household("4601059001", 民族="回族")})
    result = review(repo.root, "main..edit")
    assert result.impact is None and "标准调整的影响" not in result.to_markdown()


def test_a_future_dated_standard_appears_in_worklists_and_statistics(tmp_path) -> None:
    from site_support import copy_samples

    from generator.pipeline import build_site

    root = copy_samples(tmp_path / "archive", git=False)
    path = root / STANDARDS_PATH
    adopted = '  - 地区: "46"\n    生效日期: "2027-01-01"\n    最低工资标准: 2500\n    依据: 示例：已公布、明年施行的最低工资\n'
    path.write_text(path.read_text(encoding="utf-8") + adopted, encoding="utf-8")
    # What the command reports for that date is what the pages must show (today is 2026-12-02).
    report = json.loads(
        CliRunner()
        .invoke(
            cli,
            [
                "impact",
                "--root",
                str(root),
                "--set",
                "46:最低工资标准=1500@2026-12-31",
                "--date",
                "2027-01-01",
                "--format",
                "json",
            ],
        )
        .output
    )
    assert report["档案"] == []  # a value equal to the one in force changes nothing
    future = compare_future(root)
    lost = [a for a in future.households if a.kind == LOST]
    assert lost, "the sample archive has a household the 2027 wage takes out"
    out = tmp_path / "site"
    build_site(root, out, allow_invalid=True)
    html = (out / "s" / "46" / "worklists" / "index.html").read_text(encoding="utf-8")
    assert f"新标准生效后将不再符合条件（{len(lost)} 户）" in html
    for item in lost:
        assert item.household.number in html
        county = (out / "s" / item.county / "worklists" / "index.html").read_text(encoding="utf-8")
        assert item.household.number in county and "2027-01-01" in county
    other = next(c for c in ("4601", "4602", "469005") if all(not a.county.startswith(c) for a in lost))
    assert "新标准生效后将不再符合条件（0 户）" in (out / "s" / other / "worklists" / "index.html").read_text(encoding="utf-8")
    exact = (out / "s" / "46" / "stats" / "exact" / "index.html").read_text(encoding="utf-8")
    public = (out / "s" / "46" / "stats" / "index.html").read_text(encoding="utf-8")
    assert "2027-01-01 起施行的新标准的影响" in exact and "2027-01-01 起施行的新标准的影响" in public
    rows = list(
        csv.reader(io.StringIO((out / "s" / "46" / "stats" / "exact" / "future-2027-01-01.csv").read_text(encoding="utf-8-sig")))
    )
    assert rows[-1][0] == "合计" and int(rows[-1][3]) == len(lost)
    hidden = list(csv.reader(io.StringIO((out / "s" / "46" / "stats" / "future-2027-01-01.csv").read_text(encoding="utf-8-sig"))))
    # Small cells are never published: fewer than 5 households lost, so every non-zero count of them is hidden.
    assert len(lost) >= 5 or (all(row[3] in ("0", "*") for row in hidden[1:]) and any(row[3] == "*" for row in hidden[1:]))


def compare_future(root):
    from generator.history.impact import working_tree
    from generator.rules.impact import compare, future_changes

    [(day, old, new)] = future_changes(load_standards(root), dt.date(2026, 11, 1))
    return compare(working_tree(root, lambda county: True, use_cache=False), old, new, day)


def test_only_the_reached_counties_are_read(archive) -> None:
    """A change of 海口's standard never reads a 三亚 file: a file there that is not even YAML is not reported."""
    _archive_with(archive, ("460105", _no_situations("2600")))
    (archive / "records" / "460202").mkdir()
    (archive / "records" / "460202" / "4602020001.yaml").write_bytes(b"\xff\xfe not yaml")
    haikou = CliRunner().invoke(cli, ["impact", "--root", str(archive), "--set", URBAN_RISE, "--format", "json"])
    assert json.loads(haikou.output)["无法认定"] == []
    province = CliRunner().invoke(cli, ["impact", "--root", str(archive), "--set", MULTIPLIER_RISE, "--format", "json"])
    assert json.loads(province.output)["无法认定"] == ["records/460202/4602020001.yaml"]


def test_review_of_the_sample_archives_standards_change(tmp_path) -> None:
    import subprocess

    from site_support import copy_samples

    from generator.history.review import review

    root = copy_samples(tmp_path / "samples")
    subprocess.run(["git", "checkout", "-q", "-b", "调整标准"], cwd=root, check=True)
    path = root / STANDARDS_PATH
    text = path.read_text(encoding="utf-8").replace("    城市低保标准: 600\n", "    城市低保标准: 650\n", 1)  # 海口 2019
    path.write_text(text, encoding="utf-8")
    subprocess.run(["git", "commit", "-q", "-am", "海口市城市低保标准调整"], cwd=root, check=True)
    markdown = review(root, "main..调整标准").to_markdown()
    assert "### 标准调整的影响" in markdown and "海口市（4601）城市低保标准：600 元 → 650 元（2019-01-01 起）" in markdown
    assert "| 海南省（46） | 0/0 | 0/0 | 0/0 | 1/3 |" in markdown and "### 临界（1 户）" in markdown  # 琼山区, 624 a head


def test_text_output_never_carries_terminal_controls() -> None:
    data = _no_situations("2600")
    data["姓名"] = "测试\x1b[2J\u202e甲"
    out = to_text(compare([_facts(data, "460105")], OLD, apply_sets(OLD, [URBAN_RISE])))
    assert "\x1b" not in out and "\u202e" not in out and "测试\ufffd[2J\ufffd甲" in out


def test_usage_errors_are_chinese(archive) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["impact", "--root", str(archive)])
    assert done.exit_code != 0 and "修订范围" in done.output
    done = runner.invoke(cli, ["impact", "main..调整", "--root", str(archive)])
    assert done.exit_code != 0 and "不在 git 仓库中" in done.output
    done = runner.invoke(cli, ["impact", "--root", str(archive), "--set", URBAN_RISE, "--scope", "9999"])
    assert done.exit_code != 0 and "--scope" in done.output and "Traceback" not in done.output
    done = runner.invoke(cli, ["impact", "--root", str(archive), "--set", URBAN_RISE, "--date", "2027-02-30"])
    assert done.exit_code == 2 and "不是有效日期" in done.output


def test_a_range_without_common_history_is_a_chinese_message(tmp_path) -> None:
    from history_support import Archive, git

    repo = Archive(tmp_path / "repo")
    git(repo.root, "switch", "-q", "--orphan", "lonely")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "an unrelated history")
    done = CliRunner().invoke(cli, ["impact", "main..lonely", "--root", str(repo.root)])
    assert done.exit_code == 1 and "main 和 lonely 没有共同的历史，无法比较。" in done.output, done.output

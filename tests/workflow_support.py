"""Households at every step of the working cycle, built from tests/cases/base.yaml, and archive helpers."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import yaml
from conftest import CASES
from stdnum.cn import ric

from generator.records.dump import dump_record

BASE = yaml.safe_load((CASES / "base.yaml").read_text(encoding="utf-8"))
COUNTY = "460105"
EMPLOYER_NOTICE = {"层级": "用人单位", "开始日期": "2016-08-15", "结束日期": "2016-08-22"}
CENTRE_NOTICE = {"层级": "帮扶中心", "开始日期": "2016-08-23", "结束日期": "2016-08-30"}


def id_number(birth: str, sex: str, serial: int) -> str:
    """A well-formed fake ID number (region 460100) with the given birth date and sex."""
    sequence = serial * 2 + (1 if sex == "男" else 0)
    body = f"460100{birth.replace('-', '')}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def household(status: str, serial: int = 1, county: str = COUNTY, **changes) -> dict:
    """A valid household in `status`; each serial gets its own 职工编号 and ID numbers (一人一档)."""
    data = copy.deepcopy(BASE)
    data["职工编号"] = f"{county}{serial:04d}"
    data["所属地区"] = county
    data["户口所在地行政区划"] = county
    data["状态"] = status
    people = [data, *data["家庭主要成员"]]
    for offset, person in enumerate(people):
        person["身份证号"] = id_number(person["出生日期"], person["性别"], serial * 10 + offset)
    if status == "调查中":
        for key in ("公示", "审批", "帮扶台账"):
            data.pop(key)
    elif status == "公示中":
        data["公示"] = [dict(EMPLOYER_NOTICE)]
        data.pop("审批")
        data.pop("帮扶台账")
    elif status == "待审批":
        data.pop("审批")
        data.pop("帮扶台账")
    elif status == "已解困脱困":
        data["年度核查"] = [{"年度": 2017, "核查日期": "2017-10-20", "核查人": "示例核查员", "结果": "解困脱困"}]
        data["退出"] = {"日期": "2017-10-20", "原因": "收入超过标准已解困脱困"}
    elif status == "已注销":
        data["退出"] = {"日期": "2017-05-01", "原因": "死亡"}
    data.update(changes)
    return data


def migrant(serial: int) -> dict:
    """A 农民工 household being helped: 一会、两证明、三公示、两入户 and a verification every year."""
    village = {
        "层级": "村委会",
        "开始日期": "2016-08-15",
        "结束日期": "2016-08-22",
        "地点": "示例村委会（虚构）",
        "异议情况": "无异议",
    }
    reviews = [{"年度": y, "核查日期": f"{y}-10-15", "核查人": "示例核查员", "结果": "保留"} for y in range(2017, 2027)]
    return household(
        "帮扶中",
        serial,
        是否农民工="是",
        公示=[village, dict(EMPLOYER_NOTICE), dict(CENTRE_NOTICE)],
        年度核查=reviews,
        农民工={
            "劳动关系": "事实劳动关系",
            "用工单位有工会": "是",
            "入会日期": "2015-03-01",
            "会费缴至": "2026-10",
            "村委会集体研究日期": "2016-08-05",
            "用人单位证明日期": "2016-08-06",
            "村委会证明日期": "2016-08-06",
            "村委会入户调查日期": "2016-08-08",
            "帮扶中心入户核实日期": "2016-08-12",
        },
    )


def write(root: Path, data: dict) -> Path:
    """Write a household where it belongs in the archive."""
    path = root / "records" / data["所属地区"] / f"{data['职工编号']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_record(data), encoding="utf-8")
    return path


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (outside the cache) with the hash of its bytes: to prove nothing changed."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".bangfu-cache" not in p.parts
    }


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))

"""Field-level differences between two versions of a household, in the form's Chinese labels."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from generator.access.privacy import mask_address, mask_card, mask_id, mask_name, mask_phone
from generator.records.schema import FieldInfo, child_pointer, field_map, fields, pattern_of
from generator.rules.trace import yuan

MISSING = "（未填）"
LONG_TEXT = 60
# How items of a list of objects are recognised across versions (the first field present wins);
# without a rule, identical items are matched first and the rest pairwise by position.
_ITEM_KEYS = {
    "/家庭主要成员": (("身份证号",), ("姓名",)),
    "/附件": (("附件名称",),),
    "/公示": (("层级",),),
    "/年度核查": (("年度",),),
    "/困难情形": (("情形", "涉及人员"),),
    "/特殊支出": (("类别", "凭证"),),
}


@dataclass(frozen=True)
class FieldChange:
    """One changed field: where, in whose words, and the old and new value as shown (masked)."""

    pointer: str
    label: str
    action: str  # changed | added | removed (added/removed: an item of a list)
    old: str | None = None
    new: str | None = None
    before: object = None  # the raw old value of a non-personal scalar (for checks such as "income moved by half")
    after: object = None

    def text(self) -> str:
        """家庭年度总收入：24,000 → 30,000 元 / 家庭主要成员：新增 王*."""
        if self.action == "added":
            return f"{self.label}：新增{_spaced(self.new)}"
        if self.action == "removed":
            return f"{self.label}：删去{_spaced(self.old)}"
        return f"{self.label}：{self.old} → {self.new}"

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["before"], out["after"]
        return {**out, "text": self.text()}


def _spaced(text: str | None) -> str:
    """新增 王* but 新增一项（…）: a space only before a plain value."""
    text = text or ""
    return text if text.startswith("一项") else f" {text}"


def diff_records(old: dict | None, new: dict | None) -> list[FieldChange]:
    """Every changed field between two record dicts, in form order (None: the record did not exist)."""
    out: list[FieldChange] = []
    _mapping(old or {}, new or {}, "", "", out)
    return out


def money(value) -> str:
    """24000 → 24,000; 937.5 → 937.50 (fen only when there are fen), as the pages and the trace write it."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return yuan(amount) if amount.is_finite() else str(value)


# Diffs are shown on pages and posted to pull requests: personal data is masked as on public lists.
_MASKS = {"姓名": mask_name, "身份证号": mask_id, "电话": mask_phone, "银行卡号": mask_card, "住址": mask_address}


def show(value, info: FieldInfo | None, *, unit: bool = True) -> str:
    """A value as a person reads it: money with separators and 元, personal data masked."""
    if value is None:
        return MISSING
    if info is not None and info.personal in _MASKS and isinstance(value, str):
        return _MASKS[info.personal](value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        text = money(value) if info is not None and info.unit == "元" else _number(value)
        return f"{text} {info.unit}" if unit and info is not None and info.unit else text
    if isinstance(value, list):
        return "、".join(show(v, info, unit=unit) for v in value) or "（空）"
    if isinstance(value, dict):
        return _summary(value, info)
    text = str(value).replace("\n", " ")
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def _number(value) -> str:
    return str(Decimal(str(value)).normalize()) if isinstance(value, float) else str(value)


def _info(pointer: str) -> FieldInfo | None:
    return field_map().get(pattern_of(pointer))


def _label(base_label: str, key: str, info: FieldInfo | None) -> str:
    title = info.title if info is not None else key
    return f"{base_label}.{title}" if base_label else title


def _order(old: dict, new: dict, base: str) -> list[str]:
    """Keys of both versions in form order, unknown keys last in their own order."""
    if base == "":
        known = [f.pointer[1:] for f in fields()]
    else:
        info = _info(base)
        known = [c.pointer.rsplit("/", 1)[1] for c in info.children] if info is not None else []
    keys = [k for k in known if k in old or k in new]
    keys += [k for k in list(old) + list(new) if k not in known and k not in keys]
    return list(dict.fromkeys(keys))


def _mapping(old: dict, new: dict, base: str, base_label: str, out: list[FieldChange]) -> None:
    for key in _order(old, new, base):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        pointer = child_pointer(base, key)
        info = _info(pointer)
        label = _label(base_label, key, info)
        if isinstance(before, dict) or isinstance(after, dict):
            if isinstance(before, (dict, type(None))) and isinstance(after, (dict, type(None))):
                _mapping(before or {}, after or {}, pointer, label, out)
                continue
        if isinstance(before, list) or isinstance(after, list):
            if isinstance(before, (list, type(None))) and isinstance(after, (list, type(None))):
                _sequence(before or [], after or [], pointer, label, out)
                continue
        raw = () if info is not None and info.personal else (before, after)
        out.append(FieldChange(pointer, label, "changed", *_pair(before, after, info), *raw))


def _pair(before, after, info: FieldInfo | None) -> tuple[str, str]:
    """Old and new as shown; a unit is written once, after the new value, when both have one."""
    if info is not None and info.unit and isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return show(before, info, unit=False), show(after, info)
    return show(before, info), show(after, info)


def _sequence(old: list, new: list, pointer: str, label: str, out: list[FieldChange]) -> None:
    item_info = _info(pointer)
    objects = all(isinstance(v, dict) for v in old + new)
    if not objects:
        info = _info(pointer)
        for value in old:
            if value not in new:
                out.append(FieldChange(pointer, label, "removed", old=show(value, info)))
        for value in new:
            if value not in old:
                out.append(FieldChange(pointer, label, "added", new=show(value, info)))
        return
    pairs, removed, added = _match(old, new, _ITEM_KEYS.get(pattern_of(pointer), ()))
    for i, j in pairs:
        if old[i] != new[j]:
            _mapping(old[i], new[j], f"{pointer}/{j}", f"{label}[{_item_name(new[j], pointer, j)}]", out)
    for i in removed:
        out.append(FieldChange(f"{pointer}/{i}", label, "removed", old=_summary(old[i], item_info, pointer)))
    for j in added:
        out.append(FieldChange(f"{pointer}/{j}", label, "added", new=_summary(new[j], item_info, pointer)))


def _match(old: list[dict], new: list[dict], rules: tuple) -> tuple[list, list, list]:
    """Pairs (old index, new index) of the same item, and the indexes only in old or only in new."""
    left, right = list(range(len(old))), list(range(len(new)))
    pairs: list[tuple[int, int]] = []

    def take(same) -> None:
        for i in list(left):
            for j in right:
                if same(old[i], new[j]):
                    pairs.append((i, j))
                    left.remove(i)
                    right.remove(j)
                    break

    take(lambda a, b: a == b)
    for keys in rules:
        take(lambda a, b, keys=keys: all(a.get(k) is not None and a.get(k) == b.get(k) for k in keys))
    if not rules:
        while left and right:
            pairs.append((left.pop(0), right.pop(0)))
    return sorted(pairs, key=lambda p: p[1]), left, right


def _item_name(item: dict, pointer: str, index: int) -> str:
    """How an item is named in a label: a member by masked name, others by position."""
    if pattern_of(pointer) == "/家庭主要成员" and item.get("姓名"):
        return mask_name(item["姓名"])
    return str(index + 1)


def _summary(item: dict, info: FieldInfo | None, pointer: str = "") -> str:
    """A short description of a whole item: a member's masked name, else its required values."""
    if pattern_of(pointer) == "/家庭主要成员" and item.get("姓名"):
        return mask_name(item["姓名"])
    children = info.children if info is not None else ()
    shown = []
    for child in children:
        key = child.pointer.rsplit("/", 1)[1]
        if child.required and key in item and not isinstance(item[key], (dict, list)):
            shown.append(show(item[key], child))
    if not shown:
        shown = [show(v, None) for v in item.values() if not isinstance(v, (dict, list))]
    return "一项（" + "，".join(shown) + "）" if shown else "一项"

"""Safe loading of household records: YAML must never lose data silently."""

from __future__ import annotations

import math
import os
import re
import stat
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from generator.errors import ERROR, Problem, RecordError, os_reason
from generator.parallel import map_chunks, no_gc
from generator.records import RECORDS, SETTINGS, canonical
from generator.records.cache import Shards, StatCache, blob_id, read_file, shard_of, signature
from generator.records.schema import child_pointer, label_path

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
RECORD_DIR = RECORDS
SETTINGS_DIR = SETTINGS.rsplit("/", 1)[1]
_PATH_RE = re.compile(r"^[1-9][0-9]{5}$")
_CONTENT = re.compile(r"^\s*[^\s#]", re.M)  # a line with something other than a comment

if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - packaging guard
    raise ImportError("PyYAML 未带 libyaml（C 加速）：请安装带 libyaml 的 PyYAML（见 README）。")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_CONSTRUCT = yaml.constructor.SafeConstructor()
# Files the fast reader handed to the strict loader in this process: "not-canonical" (written by hand, expected)
# or "reader-error <exception>" (a bug of the fast reader, also raised as a FastReaderWarning).
FALLBACKS: Counter[str] = Counter()


class FastReaderWarning(RuntimeWarning):
    """The fast reader failed on a file it should have read or declined: a bug, never a silent slowdown."""


@dataclass
class Record:
    """One household as read from one file.

    A record restored from the cache carries no line map: it is rebuilt from the file on first use,
    which only happens when there is something to report about that record.
    """

    path: str
    data: dict
    _lines: dict[str, int] | None
    blob: str
    _plain: dict[str, str] | None = None  # pointer → source text of unquoted non-strings
    source: str | None = None  # absolute file path, for the lazy line map
    _raw: bytes | None = None  # the bytes, when read by the fast reader from no file

    @property
    def lines(self) -> dict[str, int]:
        if self._lines is None:
            self._reparse()
        return self._lines

    @property
    def plain(self) -> dict[str, str]:
        if self._plain is None:
            self._reparse()
        return self._plain

    def _reparse(self) -> None:
        try:
            raw = self._raw
            if raw is None:
                raw = Path(self.source).read_bytes() if self.source else b""
                if blob_id(raw) != self.blob:
                    raise OSError("changed")
            _, self._lines, self._plain = parse_yaml(raw, lines=True)
            self._raw = None
        except (OSError, RecordRejected):  # the file changed or vanished since: report without lines
            self._lines, self._plain = {}, {}

    @property
    def county(self) -> str:
        parts = self.path.split("/")
        return parts[-2] if len(parts) >= 2 else ""

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".yaml")

    def line_of(self, pointer: str) -> int | None:
        """The line of the nearest enclosing value that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def problem(self, pointer: str, code: str, message: str, severity: str = ERROR) -> Problem:
        quoted = _fullwidth_quoted(self.data, pointer)
        if quoted:
            message = (
                f'用了全角引号{quoted[0]}{quoted[-1]}，引号成了内容的一部分：文字请改用半角引号 "…"，数字不加引号。{message}'
            )
        return Problem(self.path, self.line_of(pointer), pointer, label_path(pointer), code, message, severity)


_QUOTE_PAIRS = ("“”", "‘’", "＂＂", "＇＇")


def _fullwidth_quoted(data, pointer: str) -> str | None:
    """The value at `pointer` when full-width quotes wrap it (what an input method types for YAML's quotes)."""
    value = data
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    if isinstance(value, str) and len(value) >= 2 and value[0] + value[-1] in _QUOTE_PAIRS:
        return value
    return None


@dataclass
class LoadResult:
    records: list[Record]
    problems: list[Problem]


class RecordRejected(Exception):
    """A construct that records do not allow; carries line, pointer and message."""

    def __init__(self, line: int | None, pointer: str, code: str, message: str):
        super().__init__(message)
        self.line, self.pointer, self.code, self.message = line, pointer, code, message


def load_file(path: Path, root: Path) -> tuple[Record | None, list[Problem]]:
    """Read one record; on any trap return None and located Chinese problems."""
    rel = _relative(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(rel, None, "", "", "read-error", f"无法读取文件：{os_reason(exc)}")]
    return parse_bytes(raw, rel)


def parse_bytes(raw: bytes, rel: str, *, blob: str | None = None) -> tuple[Record | None, list[Problem]]:
    """Parse the bytes of one record file named `rel` (whose blob id may already be known)."""
    try:
        data, lines, plain = parse_yaml(raw)
    except RecordRejected as exc:
        return None, [Problem(rel, exc.line, exc.pointer, label_path(exc.pointer), exc.code, exc.message)]
    if not isinstance(data, dict):
        return None, [Problem(rel, 1, "", "", "not-a-mapping", "档案应是“字段: 值”的映射，而不是列表或单个值。")]
    return Record(rel, data, lines, blob or blob_id(raw), plain, _raw=raw if lines is None else None), []


def parse_yaml(raw: bytes, *, lines: bool = False) -> tuple[object, dict[str, int] | None, dict[str, str] | None]:
    """Decode and parse YAML bytes into plain data, a pointer→line map and unquoted source texts.

    Text in the plain subset of YAML is read by the fast reader, which gives neither line map nor
    source texts (None): they are only needed to report a problem, and the strict loader finds them
    then (lines=True).
    """
    if len(raw) > MAX_BYTES:
        raise RecordRejected(None, "", "too-large", f"文件太大（{len(raw):,} 字节，上限 1 MB），一户一个文件不应这么大。")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecordRejected(
            line, "", "bad-encoding", "文件不是 UTF-8 编码（可能用 GBK 保存了），请用 UTF-8 重新保存。"
        ) from None
    if _CONTENT.search(text) is None:
        raise RecordRejected(1, "", "empty", "文件为空，没有任何字段。")
    if not lines:
        try:
            return canonical.read(text), None, None
        except canonical.NotCanonical:  # written by hand: the strict loader reads it
            FALLBACKS["not-canonical"] += 1
        except Exception as exc:  # noqa: BLE001 - a bug of the fast reader: said, counted, and the strict loader decides
            FALLBACKS[f"reader-error {type(exc).__name__}"] += 1
            warnings.warn(
                f"the fast reader failed ({type(exc).__name__}: {exc}); the strict loader reads this file",
                FastReaderWarning,
                stacklevel=2,
            )
    for number, line in enumerate(text.splitlines(), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise RecordRejected(number, "", "tab", "该行用 Tab 缩进，YAML 只允许空格缩进，请把 Tab 换成空格。")
    if "&" in text or "*" in text or "!" in text or "<<" in text:
        _reject_anchors_and_tags(text)
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _fullwidth(text, exc) or _syntax_error(exc) from None
    except yaml.reader.ReaderError as exc:
        line = _line_at(text, exc.position)
        raise RecordRejected(
            line, "", "control-char", "文件中有不可见的控制字符，请删除（可用编辑器的“显示不可见字符”找到它）。"
        ) from None
    except yaml.YAMLError as exc:
        raise RecordRejected(None, "", "yaml-syntax", f"YAML 格式错误：{exc}") from None
    except RecursionError:
        raise RecordRejected(None, "", "too-deep", "嵌套层次太深，档案不应这样写。") from None
    finally:
        loader.dispose()
    if node is None:
        raise RecordRejected(1, "", "empty", "文件为空，没有任何字段。")
    where: dict[str, int] = {}
    plain: dict[str, str] = {}
    data = _build(node, "", where, plain, set(), 0)
    return data, where, plain


def line_in_file(root: Path, rel: str, pointer: str) -> int | None:
    """The line of a value in a record file on disk (for problems found after loading)."""
    try:
        _, where, _ = parse_yaml((root / rel).read_bytes(), lines=True)
    except (OSError, RecordRejected):
        return None
    return where.get(pointer)


def _reject_anchors_and_tags(text: str) -> None:
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise RecordRejected(
                    line, "", "anchor", "档案中不允许使用锚点和别名（& 和 *）：请把内容直接写出来；若是文字，请加引号。"
                )
            if getattr(event, "tag", None) is not None:
                raise RecordRejected(line, "", "tag", f"档案中不允许使用 YAML 标签（{event.tag}）；若是文字，请加引号。")
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.reader.ReaderError as exc:
        line = _line_at(text, exc.position)
        raise RecordRejected(line, "", "control-char", "文件中有不可见的控制字符，请删除。") from None


_YAML_PROBLEMS = {
    "found character that cannot start any token": "这里有不能开头的字符（如 Tab、@ 或 `），文字请加引号",
    "mapping values are not allowed": "这里不能出现冒号“: ”，含冒号的文字请加引号",
    "did not find expected ',' or ']'": "方括号列表没有闭合（缺少“]”或逗号）",
    "did not find expected ',' or '}'": "花括号没有闭合（缺少“}”或逗号）",
    "exceeded maximum nesting depth": "嵌套层次太深，档案不应这样写",
    "could not find expected ':'": "缺少冒号“:”（字段名后要有“: ”）",
    "found unexpected end of stream": "文件意外结束（可能被截断或引号没有闭合）",
    "found unknown escape character": "双引号内有无效的转义字符（\\），请改用单引号",
    "did not find expected key": "缩进不对齐或少了“- ”，找不到下一个字段",
    "did not find expected '-' indicator": "列表缩进不对齐，找不到“- ”",
    "expected a single document in the stream": "文件中只能有一份档案（不要用 --- 分隔多份）",
    "found character '\\t' that cannot start any token": "这里有 Tab 字符，请改用空格",
    "control characters are not allowed": "文件中有不可见的控制字符，请删除",
}


_FULLWIDTH_SPACE = "\u3000"
_FULLWIDTH_COLON = "用了全角冒号“：”，请改为半角“:”加空格"
_FULLWIDTH_BLANK = "用了全角空格“　”，请改为半角空格。"


def _fullwidth(text: str, exc: yaml.MarkedYAMLError) -> RecordRejected | None:
    """What a Chinese input method types in place of YAML's ": " and spaces, on the line where it was typed.

    libyaml notices a missing ": " only on the line after (or past the end of the file); the culprit is the
    last line at or before that point whose key ends in a full-width colon or that uses a full-width space
    where YAML needs a space.
    """
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    last = min(mark.line + 1, len(lines)) if mark else len(lines)
    for number in range(last, 0, -1):
        line = lines[number - 1]
        body = line.lstrip(" ")
        if body.startswith(_FULLWIDTH_SPACE):
            return RecordRejected(number, "", "fullwidth-space", f"YAML 格式错误：缩进{_FULLWIDTH_BLANK}")
        if body.startswith("- "):
            body = body[2:].lstrip(" ")
        if not body or body[0] in "#'\"":
            continue
        colon, fullwidth = body.find(":"), body.find("：")
        if fullwidth > 0 and (colon < 0 or fullwidth < colon):
            key, value = body[:fullwidth].strip(), body[fullwidth + 1 :].strip()
            return RecordRejected(number, "", "fullwidth-colon", f"YAML 格式错误：{_FULLWIDTH_COLON}，写作“{key}: {value}”。")
        if colon > 0 and body[colon + 1 : colon + 2] == _FULLWIDTH_SPACE:
            return RecordRejected(number, "", "fullwidth-space", f"YAML 格式错误：冒号后{_FULLWIDTH_BLANK}")
    return None


def _line_at(text: str, position: int) -> int:
    """libyaml's reader reports a byte offset into the UTF-8 text."""
    return text.encode("utf-8")[:position].count(b"\n") + 1


def _syntax_error(exc: yaml.MarkedYAMLError) -> RecordRejected:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or ""
    said = next((zh for en, zh in _YAML_PROBLEMS.items() if en in problem), None)
    if said is None and "expected a single document" in (exc.context or ""):
        said = _YAML_PROBLEMS["expected a single document in the stream"]
    if said is None and "while scanning a quoted scalar" in (exc.context or ""):
        said = "引号没有闭合（文件可能被截断）"
    message = f"YAML 格式错误：{said}。" if said else f"YAML 格式错误（{problem or exc.context}）。"
    return RecordRejected(line, "", "yaml-syntax", message)


def _build(node, pointer: str, lines: dict, plain: dict, seen: set, depth: int):
    line = node.start_mark.line + 1
    lines.setdefault(pointer, line)
    if id(node) in seen:
        raise RecordRejected(line, pointer, "anchor", "档案中不允许使用别名（*）。")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise RecordRejected(line, pointer, "too-deep", "嵌套层次太深，档案不应这样写。")
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise RecordRejected(line, pointer, "tag", "不支持的 YAML 写法（标签或合并键 <<）。")
        out: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise RecordRejected(
                    key_node.start_mark.line + 1, pointer, "bad-key", "字段名必须是简单的文字（不支持合并键 << 或复杂键）。"
                )
            key = sys.intern(key_node.value)
            key_line = key_node.start_mark.line + 1
            child = child_pointer(pointer, key)
            if key in out:
                raise RecordRejected(
                    key_line,
                    child,
                    "duplicate-key",
                    f"字段「{key}」重复（第 {first_line[key]} 行和第 {key_line} 行），YAML 只会保留后一个，请删去多余的一个。",
                )
            first_line[key] = key_line
            lines[child] = key_line
            out[key] = _build(value_node, child, lines, plain, seen, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise RecordRejected(line, pointer, "tag", "不支持的 YAML 写法（标签）。")
        return [_build(item, f"{pointer}/{i}", lines, plain, seen, depth + 1) for i, item in enumerate(node.value)]
    return _scalar(node, pointer, line, plain)


def _scalar(node, pointer: str, line: int, plain: dict):
    tag, value = node.tag, node.value
    if tag == _STR:
        return sys.intern(value) if len(value) <= 12 else value
    if not node.style:
        plain[pointer] = value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _CONSTRUCT.bool_values[value.lower()]
    if tag == _INT:
        return _CONSTRUCT.construct_yaml_int(node)
    if tag == _FLOAT:
        number = _CONSTRUCT.construct_yaml_float(node)
        if math.isnan(number) or math.isinf(number):
            raise RecordRejected(line, pointer, "bad-number", f"“{value}”不是有效的数字。")
        return number
    if tag == _TIMESTAMP:
        try:
            stamp = _CONSTRUCT.construct_yaml_timestamp(node)
        except ValueError:  # 2016-02-30 or 0000-00-00: keep the text so validation can say why
            return value
        return stamp.isoformat()
    raise RecordRejected(line, pointer, "tag", f"不支持的 YAML 写法（{tag}）；若是文字，请加引号。")


def _relative(path: Path, root: Path) -> str:
    text, base = str(path), str(root)
    if not path.is_absolute() == root.is_absolute() or ".." in text:
        pass
    elif base in (".", ""):
        return path.as_posix()
    elif text.startswith(base.rstrip("/") + "/"):
        return text[len(base.rstrip("/")) + 1 :]
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def record_paths(root: Path) -> tuple[list[Path], list[Problem]]:
    """Every household file under root/records, and problems for files that sit in the wrong place."""
    files, problems = record_files(root)
    return [Path(path) for _, path in files], problems


def record_files(root: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """(path relative to root, path to open) of every household file, as plain strings (a province has 26,700).

    Only regular files are records: a symlink (or anything else) under records/ is an error and is never followed.
    """
    base = root / RECORD_DIR
    if base.is_symlink():
        raise RecordError(f"{base} 是符号链接：档案目录 records/ 必须是普通目录，不能链接到别处。")
    if not base.is_dir():
        raise RecordError(
            f"找不到档案目录 {base}（应在档案库根目录下有 records/）："
            "请在档案库或其中的任一文件夹里运行，或用 --root 指明档案库。"
        )
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    with os.scandir(base) as top:
        for entry in sorted(top, key=lambda e: e.name):
            rel = f"{RECORD_DIR}/{entry.name}"
            if entry.name == SETTINGS_DIR:
                continue  # special_files() looks at the settings
            if not entry.is_dir(follow_symlinks=False) and not entry.is_file(follow_symlinks=False):
                problems.append(not_regular_problem(rel, entry.path))
            elif entry.name.startswith("."):
                continue
            elif entry.is_dir(follow_symlinks=False) and _PATH_RE.match(entry.name):
                with os.scandir(entry.path) as inner:
                    for item in sorted(inner, key=lambda e: e.name):
                        if not item.is_file(follow_symlinks=False) and not item.is_dir(follow_symlinks=False):
                            problems.append(not_regular_problem(f"{rel}/{item.name}", item.path))
                        elif item.name.endswith(".yaml") and item.is_file(follow_symlinks=False):
                            found.append((f"{rel}/{item.name}", item.path))
                        elif not item.name.startswith("."):
                            problems.append(
                                Problem(
                                    f"{rel}/{item.name}",
                                    None,
                                    "",
                                    "",
                                    "stray-file",
                                    "档案文件应命名为 <职工编号>.yaml，此文件不会被读取。",
                                    "warning",
                                )
                            )
            else:
                problems.append(
                    Problem(
                        rel,
                        None,
                        "",
                        "",
                        "stray-file",
                        "records/ 下应只有以 6 位县级行政区划代码命名的目录，此项不会被读取。",
                        "warning",
                    )
                )
    return found, problems


NOT_REGULAR = "not-regular"


def not_regular_problem(rel: str, path: str) -> Problem:
    """The error for a path under records/, the settings or schema/ that is not a regular file (or folder)."""
    try:
        what = "符号链接" if os.path.islink(path) else "特殊文件（不是普通文件）"
    except OSError:
        what = "特殊文件（不是普通文件）"
    return Problem(
        rel,
        None,
        "",
        "",
        NOT_REGULAR,
        f"是{what}：records/、设置文件和 schema/ 下只能放普通文件，它不会被读取，链接指向的内容也不会。",
    )


def is_regular(path: str | os.PathLike) -> bool:
    """A regular file itself, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def special_files(root: Path) -> list[Problem]:
    """Errors for every symlink or other non-regular file among the settings (records/_settings/) and schema/."""
    out: list[Problem] = []
    for rel in (f"{RECORD_DIR}/{SETTINGS_DIR}", "schema"):
        out += _special_under(str(root), rel)
    return out


def _special_under(root: str, rel: str) -> list[Problem]:
    path = os.path.join(root, rel)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return []
    except OSError:
        return [not_regular_problem(rel, path)]
    if stat.S_ISREG(mode):
        return []
    if not stat.S_ISDIR(mode):
        return [not_regular_problem(rel, path)]
    out: list[Problem] = []
    for name in sorted(os.listdir(path)):
        out += _special_under(root, f"{rel}/{name}")
    return out


def load_tree(root: Path, paths: list[Path] | None = None, *, cache: bool = True) -> LoadResult:
    """Load every record under root (or the given files), reusing parsed blobs from the cache."""
    files, problems = record_files(root) if paths is None else named_files(root, paths)
    records: list[Record] = []
    for item in load_each(root, files, RECORDS_CACHE, _data_and_problems, use_cache=cache, whole=paths is None):
        if item.blob is None:
            problems.extend(item.value)
            continue
        data, found = item.value
        if data is not None:
            records.append(Record(item.rel, data, None, item.blob, None, item.path))
        problems.extend(found)
    return LoadResult(records, problems)


def named_files(root: Path, paths: list[Path]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """(path relative to root, path to open) of the named files; an error for each that is a link, never read through."""
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for path in paths:
        rel = _relative(path, root)
        if is_regular(path) or not os.path.lexists(path):
            files.append((rel, str(path)))
        else:
            problems.append(not_regular_problem(rel, str(path)))
    return files, problems


RECORDS_CACHE = "records"


def _data_and_problems(_rel: str, record: Record | None, problems: list[Problem]) -> tuple:
    return (record.data if record is not None else None, problems)


class Loaded(NamedTuple):
    """One file as the loader gives it back."""

    rel: str
    path: str
    blob: str | None  # None: the file could not be read, and `value` is the list with the problem saying why
    value: object  # what `derive` made of the file (from the cache when its blob is unchanged)


def load_each(
    root: Path,
    files: list[tuple[str, str]],
    cache_name: str,
    derive: Callable[..., object],
    *args,
    kind: str = "parse",
    holds: Callable[[object], bool] | None = None,
    use_cache: bool = True,
    whole: bool = True,
    warm_up: Callable[[], None] | None = None,
    cache_key: str | None = None,
) -> list[Loaded]:
    """The one record loader: derive(rel, record or None, problems, *args) for each (rel, path) of `files`.

    A file whose size, times and inode are unchanged keeps its blob id without being read (the stat cache);
    a blob whose derived value the cache `cache_name` holds (kept per county) is not parsed again. The other
    files are read, hashed and parsed (the fast canonical reader first) and derived in worker processes when
    there are many (generator.parallel, `kind`). derive must be a module-level function; a None it returns is
    not kept. holds(value): whether a cached value still holds (default: always). whole=False: `files` are
    some of the archive's files only, and the others keep their cached entries. warm_up: built in this
    process before workers start, for them to inherit. cache_key: what names the cache files, when the derived
    values depend on less than every input (generator.records.cache.Shards).
    """
    with no_gc():
        cached = Shards(root, cache_name, use_cache=use_cache, key=cache_key)
        stats = StatCache(root, use_cache=use_cache)
        out: list = [None] * len(files)
        misses = []
        for index, (rel, path) in enumerate(files):
            try:
                blob = stats.blob(rel, signature(os.stat(path)))
            except OSError:
                blob = None
            hit = cached.get(shard_of(rel), (rel, blob)) if blob is not None else None
            if hit is not None and (holds is None or holds(hit)):
                out[index] = Loaded(rel, path, blob, hit)
            else:
                misses.append((index, rel, path))
        if misses:
            before = {}  # rel → the blob whose value the cache holds, for files touched but unchanged
            for shard in {shard_of(rel) for _, rel, _ in misses}:
                for (old_rel, blob), value in cached.shard(shard).items():
                    if holds is None or holds(value):
                        before[old_rel] = blob
            work = [(rel, path, before.get(rel)) for _, rel, path in misses]
            done = map_chunks(_load_chunk, work, kind, derive, args, before=warm_up)
            for (index, rel, path), (blob, sig, value) in zip(misses, done, strict=True):
                if sig is None:  # unreadable
                    out[index] = Loaded(rel, path, None, value)
                    continue
                stats.remember(rel, sig, blob)
                if value is None and blob == before.get(rel):  # touched but unchanged
                    value = cached.shard(shard_of(rel))[(rel, blob)]
                if value is not None:
                    cached.put(shard_of(rel), (rel, blob), value)
                out[index] = Loaded(rel, path, blob, value)
        stats.save(whole=whole)
        cached.save(whole=whole)
        return out


def _load_chunk(items: list[tuple[str, str, str | None]], derive: Callable[..., object], args: tuple) -> list[tuple]:
    """For each (rel, path, blob the cache holds or None): (blob, signature, derived value, or None when the
    blob is the one the cache holds); (None, None, [read problem]) for a file that cannot be read."""
    out = []
    with no_gc():
        for rel, path, known in items:
            try:
                raw, sig = read_file(path)
            except OSError as exc:
                out.append((None, None, [Problem(rel, None, "", "", "read-error", f"无法读取文件：{os_reason(exc)}")]))
                continue
            blob = blob_id(raw)
            if blob == known:
                out.append((blob, sig, None))
                continue
            record, problems = parse_bytes(raw, rel, blob=blob)
            out.append((blob, sig, derive(rel, record, problems, *args)))
    return out

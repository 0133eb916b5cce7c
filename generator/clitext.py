"""Click's own messages in Chinese, through gettext, and help columns measured in display width.

Click marks every message it prints with gettext's `_()` / `ngettext()` *before* it fills in the values (paths,
option names, choices the user typed). A translation installed there turns the message pattern into Chinese and
leaves those values exactly as given: `bangfu fmt "Option File Path.yaml"` says the path as typed. Rewriting the
finished English text word by word (what this replaced) also rewrote the user's words inside it.
"""

from __future__ import annotations

import gettext
import importlib
import re
import unicodedata

# msgid (as in click's source) -> msgstr. The placeholders are click's; `{x!r}` becomes “{x}” (Chinese quotes,
# the value itself, never its Python repr with escapes).
MESSAGES = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Arguments": "参数",
    "Aborted!": "已取消。",
    "Missing command.": "缺少命令。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Do you want to continue?": "是否继续？",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "No such option {name!r}.": "没有这个选项：{name}。",
    "No such command {name!r}.": "没有这个命令：{name}。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 {command} {option} 查看用法。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "unknown error": "未知错误",
    "Option {name!r} does not take a value.": "选项 {name} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "Choose from:\n\t{choices}": "可选值：\n\t{choices}",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "“{value}”不是有效的是/否值，可用：{states}",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "{value!r} is not a valid UUID.": "“{value}”不是有效的 UUID。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件，不是目录。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是目录，不是文件。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”不可读。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”不可写。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”不可执行。",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
}

# (singular msgid, plural msgid) -> one Chinese form (Chinese has no plural).
PLURALS = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): "多余的参数：{args}",
    (
        "Takes {nargs} values but 1 was given.",
        "Takes {nargs} values but {len} were given.",
    ): "需要 {nargs} 个值，给出了 {len} 个。",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): "（是不是 {possibility}？）",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): "选项 {name} 需要 {nargs} 个值。",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): "“{value}”不是可选值之一：{choices}。",
    (
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ): "“{value}”不符合格式 {formats}。",
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): "需要 {len_type} 个值，给出了 {len_value} 个。",
}

# Click fills these placeholders with str.format(**named values); a Chinese form may use a name the English singular
# or plural does not (both plural forms share one msgstr), so missing names format as "".
_CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
    "_termui_impl",
)


class _Pattern(str):
    """A translated pattern whose .format() leaves out placeholders click does not pass for this form."""

    def format(self, *args, **kwargs):  # noqa: A003 - str.format's own name
        names = {m.group(1) for m in re.finditer(r"\{(\w+)[^}]*\}", self)}
        return str.format(self, *args, **{**dict.fromkeys(names, ""), **kwargs})


class ClickChinese(gettext.NullTranslations):
    """A gettext catalogue for click's messages; anything it does not know stays as click wrote it."""

    def gettext(self, message: str) -> str:
        found = MESSAGES.get(message)
        return _Pattern(found) if found is not None else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = PLURALS.get((singular, plural))
        if found is None:
            return singular if n == 1 else plural
        return _Pattern(found)


TRANSLATION = ClickChinese()


def install() -> None:
    """Bind the catalogue where click looks its messages up (`from gettext import gettext as _` in each module).

    Done before any command is declared: click.Path() takes its name ("file", "directory") through `_()` when
    it is constructed. The number types' names are click's words too and name the value in messages and help.
    """
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = TRANSLATION.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = TRANSLATION.ngettext
    import click.types as types

    types.IntParamType.name = "整数"
    types.FloatParamType.name = "数"
    types.BoolParamType.name = "是/否"
    types.DateTime.name = "日期时间"


# -- help columns in display width ----------------------------------------------------------------------------------


def width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters (East Asian wide or full-width) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


# What a line may not be broken inside: a bracketed note such as "[默认：一行一户]", a file name pattern such as
# "困难职工档案-<代码>.xlsx", a run of printable ASCII, or a character; each with the punctuation that must not
# begin a line (，。、；：）etc.).
_TOKEN = re.compile(r"\s+|(?:\[[^\]\n]{1,30}\]|[!-~]*<[^>\s]{1,12}>[!-~]*|[!-~]+|.)[，。、；：！？）」』”’》〕]*", re.S)


def wrap(text: str, limit: int) -> list[str]:
    """Wrap help text to `limit` display columns, keeping paragraph breaks."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKEN.findall(paragraph):
            if line and width(line + token) > limit:
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
            else:
                line += token
        lines.append(line.rstrip())
    return lines


def paragraphs(text: str) -> list:
    """Help text as click reads it: paragraphs split by blank lines; one that starts with a \\b line is kept as
    written (a list of its lines), any other is one string whose lines are joined (no space between Chinese)."""
    out: list = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = [line.strip() for line in block.splitlines()]
        if lines and lines[0] == "\b":
            raw = block.splitlines()[1:]
            margin = min((len(x) - len(x.lstrip()) for x in raw if x.strip()), default=0)
            out.append([x[margin:].rstrip() for x in raw])
            continue
        joined = ""
        for line in filter(None, lines):
            wide = joined and width(joined[-1]) == 2 and width(line[0]) == 2
            joined += line if not joined or wide else " " + line
        out.append(joined)
    return [item for pair in zip(out, [""] * len(out), strict=True) for item in pair][:-1]

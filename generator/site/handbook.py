"""The handbook: docs/ built by mkdocs-material (only when it changed), and the page frame it yields."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import yaml

from generator import RESOURCES
from generator.errors import BuildError, Problem
from generator.records import cache
from generator.site.shell import Shell


def config_path(root: Path) -> Path:
    """The archive's mkdocs.yml, or the program's own when the archive has none (records kept apart)."""
    own = root / "mkdocs.yml"
    return own if own.is_file() else RESOURCES / "mkdocs.yml"


# What an archive's own mkdocs.yml may say. The file is data that a commit ships: mkdocs would run the Python files
# named under `hooks:`, construct `!!python/...` tags, load templates from `theme.custom_dir` (Jinja2 reaches Python
# objects) and load any installed plugin or Markdown extension. So: no hooks, no Python tags, no custom templates,
# and only the plugins and extensions the program's own mkdocs.yml uses.
_ALLOWED_KEYS = {"site_name", "site_description", "site_author", "copyright", "nav", "extra", "theme", "plugins",
                 "markdown_extensions", "docs_dir", "use_directory_urls", "strict", "validation", "exclude_docs"}  # fmt: skip
_THEME_REFUSED = {"custom_dir"}


class _ConfigLoader(yaml.SafeLoader):
    """Safe YAML that reads mkdocs' own harmless tags (!ENV, !relative) as plain values, and nothing of Python."""


_ConfigLoader.add_constructor("!ENV", lambda loader, node: None)
_ConfigLoader.add_constructor("!relative", lambda loader, node: None)


def _names(entries) -> set[str]:
    return {next(iter(e)) if isinstance(e, dict) else str(e) for e in entries or ()}


def vet_config(config_file: Path) -> None:
    """Refuse an archive's mkdocs.yml that would make mkdocs run something the archive ships (see _ALLOWED_KEYS)."""
    if config_file == RESOURCES / "mkdocs.yml":
        return
    name = config_file.name
    try:
        data = yaml.load(config_file.read_bytes(), Loader=_ConfigLoader) or {}
        own = yaml.load((RESOURCES / "mkdocs.yml").read_bytes(), Loader=_ConfigLoader) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = where.line + 1 if where is not None else None
        plain = "只能用普通的 YAML：不能有 !!python 等标记，也要符合 YAML 的写法。"
        problem = Problem(name, line, "", "", "mkdocs-config", plain)
        raise BuildError("站点手册的配置 mkdocs.yml 不能使用。", [problem]) from None
    if not isinstance(data, dict):
        data = {"": data}
    lines = _key_lines(config_file)
    problems = []  # (top-level key, what is wrong)
    for key in data:
        if key not in _ALLOWED_KEYS:
            why = "会运行档案库中的 Python 文件" if key == "hooks" else "不在允许的设置之列"
            problems.append((key, f"不能设定“{key}”（{why}）"))
    theme = data.get("theme")
    for key in sorted(_THEME_REFUSED & set(theme if isinstance(theme, dict) else ())):
        problems.append(("theme", f"theme 中不能设定“{key}”（自定义模板能运行代码）"))
    for field in ("plugins", "markdown_extensions"):
        extra = sorted(_names(data.get(field)) - _names(own.get(field)))
        if extra:
            problems.append((field, f"{field} 只能用程序自己的 mkdocs.yml 中的那些，不能加 {'、'.join(extra)}"))
    if problems:
        found = [Problem(name, lines.get(key), "", str(key), "mkdocs-config", f"{text}。") for key, text in problems]
        raise BuildError("档案库自己的站点手册配置 mkdocs.yml 不能使用（原有站点保持不变）：", found)


def _key_lines(config_file: Path) -> dict[str, int]:
    """The line of each top-level key (the file has already been read as safe YAML)."""
    node = yaml.compose(config_file.read_bytes(), Loader=_ConfigLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def handbook_key(config_file: Path) -> str:
    """Everything the handbook and the frame depend on: the program (cache.program_key: code, templates,
    schema, region data, mkdocs' version) and the handbook's mkdocs.yml and docs/."""
    docs = config_file.parent / "docs"
    parts: list[bytes | str] = [cache.program_key(), config_file.read_bytes()]
    for path in sorted(docs.rglob("*")) if docs.is_dir() else []:
        if path.is_file():
            parts += [path.relative_to(docs).as_posix(), path.read_bytes()]
    return cache.fingerprint(*parts)


def build_handbook(root: Path, state: Path) -> tuple[Path, Shell, list[str]]:
    """The built handbook folder and the frame; rebuilt with mkdocs only when an input changed."""
    config_file = config_path(root)
    if not config_file.is_file():
        raise BuildError("找不到 mkdocs.yml（站点手册的配置），无法生成站点。")
    vet_config(config_file)
    key = handbook_key(config_file)
    folder, frame_file, key_file = state / "handbook", state / "frame.json", state / "handbook.key"
    try:
        if key_file.read_text(encoding="ascii") == key and folder.is_dir():
            return folder, Shell.from_json(frame_file.read_text(encoding="utf-8")), []
    except (OSError, ValueError):
        pass
    fresh = state / "handbook-new"
    shutil.rmtree(fresh, ignore_errors=True)
    shell, warnings = _mkdocs(config_file, fresh)
    shutil.rmtree(folder, ignore_errors=True)
    fresh.rename(folder)
    frame_file.write_text(shell.to_json(), encoding="utf-8")
    key_file.write_text(key, encoding="ascii")
    return folder, shell, warnings


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _mkdocs(config_file: Path, site_dir: Path) -> tuple[Shell, list[str]]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    saved = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [handler], False
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir))
        build(config)
    except MkDocsException as exc:
        problem = Problem(config_file.name, None, "", "", "mkdocs", str(exc))
        raise BuildError("站点手册（mkdocs）生成失败，原有站点保持不变。", [problem]) from None
    finally:
        logger.handlers, logger.propagate = saved
    plugin = config.plugins.get("bangfu")
    if plugin is None or plugin.shell is None:
        raise BuildError(f"{config_file.name} 的 plugins 中没有 bangfu 插件，无法生成档案页面的外框。")
    return plugin.shell, [f"手册（mkdocs）：{m}" for m in handler.messages]

"""The handbook: docs/ built by mkdocs-material (only when it changed), and the page frame it yields."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from generator import RESOURCES
from generator.errors import BuildError, Problem
from generator.records import cache
from generator.site.shell import Shell


def config_path(root: Path) -> Path:
    """The archive's mkdocs.yml, or the program's own when the archive has none (records kept apart)."""
    own = root / "mkdocs.yml"
    return own if own.is_file() else RESOURCES / "mkdocs.yml"


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

"""The mkdocs plugin: generated handbook pages, our assets, and the page frame for generated pages."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from generator.rules.regions import regions
from generator.site.fieldref import field_reference
from generator.site.shell import Shell, render_shells

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_URL = "assets/bangfu"


class BangfuConfig(base.Config):
    """Options of the `bangfu` plugin in mkdocs.yml."""

    # Where the field reference generated from the schema appears in the handbook.
    field_reference = opt.Type(str, default="handbook/fields.md")
    # Where the generated list of regions (links into each scope's pages) appears.
    regions_page = opt.Type(str, default="regions.md")
    # Stylesheets of ours added to every page, handbook and generated alike (relative to ASSET_URL).
    stylesheets = opt.ListOfItems(opt.Type(str), default=["bangfu.css"])


class BangfuPlugin(BasePlugin[BangfuConfig]):
    """Adds the generated handbook pages and our assets; renders the frame generated pages are spliced into."""

    def __init__(self):
        self.shell: Shell | None = None
        self._env = None
        self._files = None

    def on_config(self, config):
        config.extra_css = [f"{ASSET_URL}/{name}" for name in self.config.stylesheets] + list(config.extra_css)
        if config.nav:
            generated = {self.config.field_reference, self.config.regions_page}
            config.nav = _existing(config.nav, Path(config.docs_dir), generated)
        return config

    def on_files(self, files: Files, config) -> Files:
        files.append(File.generated(config, self.config.field_reference, content=field_reference()))
        files.append(File.generated(config, self.config.regions_page, content=_regions_page()))
        for path in sorted(ASSETS.rglob("*")):
            if path.is_file():
                files.append(File.generated(config, f"{ASSET_URL}/{path.relative_to(ASSETS).as_posix()}", abs_src_path=str(path)))
        return files

    def on_env(self, env, config, files):
        self._env, self._files = env, files
        return env

    def on_post_build(self, config):
        from mkdocs.structure.nav import get_navigation

        files = self._files
        nav = get_navigation(files, config)
        self.shell = render_shells(config, self._env, nav, files)


def _existing(nav, docs: Path, generated: set[str]):
    """The nav without entries whose page does not exist (yet): other parts of the handbook arrive separately."""
    out = []
    for item in nav:
        if isinstance(item, dict):
            kept = {}
            for title, value in item.items():
                if isinstance(value, list):
                    inner = _existing(value, docs, generated)
                    if inner:
                        kept[title] = inner
                elif not _missing(value, docs, generated):
                    kept[title] = value
            if kept:
                out.append(kept)
        elif not _missing(item, docs, generated):
            out.append(item)
    return out


def _missing(value, docs: Path, generated: set[str]) -> bool:
    return isinstance(value, str) and value.endswith(".md") and value not in generated and not (docs / value).is_file()


def _regions_page() -> str:
    """Links to every scope's pages, by city; only region names and codes, nothing personal."""
    table = regions()
    lines = [
        "# 按地区浏览",
        "",
        "选择本单位所在的地区，进入该地区的档案名单、统计、工作清单和公示名单。只能打开本人授权范围内的地区。",
        "",
    ]
    link = '<a href="../s/{code}/">{name}</a>'
    lines.append(f'<p class="bangfu-regions-top">{link.format(code=table.province, name=table.name(table.province))}（全省）</p>')
    lines.append('<ul class="bangfu-regions">')
    for child in table.children(table.province):
        inner = [link.format(code=c, name=table.name(c)) for c in table.children(child)]
        nested = f"<br><small>{'　'.join(inner)}</small>" if inner else ""
        lines.append(f"<li>{link.format(code=child, name=table.name(child))}{nested}</li>")
    lines += ["</ul>", ""]
    return "\n".join(lines)

"""`bangfu build`: load → validate → derive → history → render → publish, into a folder swapped in atomically."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.access.privacy import load_policy
from generator.errors import BuildError, Problem, os_reason
from generator.history.view import read_history_index
from generator.parallel import no_gc
from generator.publish import Output
from generator.records import cache
from generator.records.load import NOT_REGULAR, record_files
from generator.records.source import load_households
from generator.rules.regions import regions
from generator.site.context import Site
from generator.site.handbook import build_handbook
from generator.site.pages import page_key, render_households
from generator.site.scopes import render_scopes
from generator.validation.validate import Context, validate_tree


@dataclass
class BuildResult:
    """What a build did, for the CLI's summary."""

    out: Path
    households: int = 0
    rendered: int = 0
    written: int = 0
    linked: int = 0
    files: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)  # said loudly: e.g. main's history was rewritten
    problems: list[Problem] = field(default_factory=list)


# The steps of a build, as its progress line names them (the keys are the --timings names).
STEPS = {
    "校验": "校验档案",
    "载入": "载入档案",
    "历史": "读取修改历史",
    "手册": "生成手册",
    "手册复制": "复制手册",
    "档案页": "生成档案页",
    "地区页": "生成地区页和统计",
    "发布": "发布站点",
}


def build_site(root: Path, out: Path, *, allow_invalid: bool = False, jobs: int | None = None, progress=None) -> BuildResult:
    """Build the whole site from the archive at `root` into `out`; on any error `out` stays as it was.

    progress: a generator.progress.Progress told each step as it begins (the CLI's line on a terminal).
    """
    with no_gc():  # many small objects and no cycles worth collecting: the collector only costs time here
        return _build_site(root, out, allow_invalid, jobs, progress)


def _build_site(root: Path, out: Path, allow_invalid: bool, jobs: int | None, progress) -> BuildResult:
    started = time.perf_counter()
    result = BuildResult(Path(out))
    clock = _Clock(result.timings, progress)
    try:
        root = Path(root)
        ctx = Context(root)
        _, problems = validate_tree(root, None, ctx)
        clock("校验")
        errors = [p for p in problems if p.is_error]
        result.problems = problems
        if errors and (not allow_invalid or any(p.code == NOT_REGULAR for p in errors)):  # a link is never skipped
            raise BuildError(
                f"档案有 {len(errors)} 个错误，站点未生成（原有站点保持不变）。修正后重试，"
                f"或用 --allow-invalid 跳过有错误的档案：",
                sorted(errors, key=lambda p: (p.path, p.line or 0)),
            )
        broken = {p.path for p in errors}
        files = [(rel, path) for rel, path in record_files(root)[0] if rel not in broken]
        records = sorted(load_households(root, files), key=lambda r: r.path)
        clock("载入")
        result.households = len(records)
        policy = load_policy(root)
        standards = ctx.standards
        history = read_history_index(root)
        result.warnings += history.warnings
        head_file = Path(out).with_name(Path(out).name + ".bangfu") / "history-head"
        rewritten = history.continuity(head_file.read_text().strip() if head_file.is_file() else None)
        if rewritten:
            result.alarms.append(rewritten)
        clock("历史")
        output = Output(Path(out))
        handbook, shell, notes = build_handbook(root, output.state)
        result.warnings += notes
        clock("手册")
        site = Site(regions(), policy, shell, ctx.today, standards, history, _site_key(root, shell))
        writer = output.writer()
        try:
            for path in sorted(handbook.rglob("*")):
                if path.is_file():
                    writer.put_file(path.relative_to(handbook).as_posix(), path)
            clock("手册复制")
            keys = {r.path: page_key(r, site) for r in records}
            result.rendered = render_households(records, site, writer, keys, jobs=jobs)
            clock("档案页")
            render_scopes(records, site, writer, keys)
            clock("地区页")
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        output.swap()
        if history.head:
            head_file.parent.mkdir(parents=True, exist_ok=True)
            head_file.write_text(history.head + "\n")
        clock("发布")
        result.written, result.linked, result.files = writer.written, writer.linked, len(writer.base)
    except OSError as exc:
        raise BuildError(f"写入输出目录失败（{os_reason(exc)}：{exc.filename or ''}），原有站点保持不变。") from None
    result.seconds = time.perf_counter() - started
    return result


def _site_key(root: Path, shell) -> str:
    """Names every input all pages share (the program, schema, region data, settings: cache.inputs_key, and the
    handbook's page frame), so an unchanged page is recognised without rendering it."""
    return cache.fingerprint(cache.inputs_key(root), shell.to_json())


class _Clock:
    def __init__(self, timings: dict[str, float], progress=None):
        self.timings = timings
        self.last = time.perf_counter()
        self.progress = progress
        self._announce(0)

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = round(now - self.last, 3)
        self.last = now
        self._announce(list(STEPS).index(step) + 1)

    def _announce(self, index: int) -> None:
        if self.progress is not None and index < len(STEPS):
            self.progress.step(list(STEPS.values())[index])

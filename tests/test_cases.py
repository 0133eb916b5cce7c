"""Data-driven: every case under tests/cases/valid passes; every case under tests/cases/invalid fails as it says.

A single-file case states its expectations in header comments (`# expect: CODE LINE`,
`# expect-warning: CODE LINE`, `-` for no line) or in a sidecar `NAME.expect` file; a folder case is a
small archive with `expect.txt` lines `PATH CODE LINE`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import CASES, make_archive

from generator.validation.validate import Context, validate_tree

VALID = sorted((CASES / "valid").glob("*.yaml"))
INVALID = sorted([*(CASES / "invalid").glob("*.yaml"), *[p for p in (CASES / "invalid").iterdir() if p.is_dir()]])
TARGET = "records/460105/4601059001.yaml"


def _expectations(case: Path) -> tuple[set, set]:
    errors, warnings = set(), set()
    if case.is_dir():
        for line in (case / "expect.txt").read_text(encoding="utf-8").split("\n"):
            if line.strip():
                path, code, where = line.split()
                errors.add((path, code, None if where == "-" else int(where)))
        return errors, warnings
    sidecar = case.with_suffix(".expect")
    if sidecar.exists():
        text = "".join(f"expect: {line}\n" for line in sidecar.read_text(encoding="utf-8").splitlines() if line.strip())
    else:
        text = case.read_bytes().decode("utf-8", "replace")
    for kind, code, where in re.findall(r"^(?:# )?expect(-warning)?: (\S+) (\S+)$", text, flags=re.M):
        (warnings if kind else errors).add((TARGET, code, None if where == "-" else int(where)))
    return errors, warnings


def _run(case: Path, tmp_path: Path):
    root = make_archive(tmp_path / "archive")
    if case.is_dir():
        shutil.copytree(case / "records", root / "records", dirs_exist_ok=True)
    else:
        (root / TARGET).parent.mkdir(parents=True)
        shutil.copy(case, root / TARGET)
    _, problems = validate_tree(root, ctx=Context(root), use_cache=False)
    return problems


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.stem)
def test_valid_case_passes(case: Path, tmp_path: Path):
    problems = _run(case, tmp_path)
    assert [p.to_text() for p in problems] == []


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid_case_fails_as_expected(case: Path, tmp_path: Path):
    expected_errors, expected_warnings = _expectations(case)
    assert expected_errors or expected_warnings, f"{case.name} states no expectation"
    problems = _run(case, tmp_path)
    errors = {(p.path, p.code, p.line) for p in problems if p.is_error}
    warnings = {(p.path, p.code, p.line) for p in problems if not p.is_error}

    def loose(found, wanted):  # an expectation without a line matches any line
        return {w for w in wanted if w in found or (w[2] is None and any(f[:2] == w[:2] for f in found))}

    assert loose(errors, expected_errors) == expected_errors, [p.to_text() for p in problems]
    assert loose(warnings, expected_warnings) == expected_warnings, [p.to_text() for p in problems]
    unexpected = {e for e in errors if e not in expected_errors and (e[0], e[1], None) not in expected_errors}
    assert not unexpected, [p.to_text() for p in problems]
    for problem in problems:
        assert problem.message and re.search(r"[\u4e00-\u9fff]", problem.message), problem

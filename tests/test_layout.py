"""The layout of generator/ stays a one-way flow: no import cycle, and the module map in the handbook is true.

Every import counts, at module level or inside a function: a function-level import only defers the cost of a
module, it does not make a cycle between two modules any less of a tangle for the reader.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "generator"
MODULE_MAP = REPO / "docs" / "handbook" / "modules.md"
SHARED = {"generator", "generator.errors", "generator.clock"}  # everyone may use these


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted name → file of every module and package under `package`."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(found: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the generator modules it imports anywhere in its body (`from p import m` counts as p.m if m is one)."""
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in found else base for a in node.names)
        graph[name] = {t for t in targets if t in found and t != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def package_of(name: str) -> str:
    """The part of generator a module belongs to: its first-level package, or itself if it is a top-level module."""
    return ".".join(name.split(".")[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, targets in graph.items():
        if name in SHARED:
            continue
        out.setdefault(package_of(name), set()).update(
            package_of(t) for t in targets if t not in SHARED and package_of(t) != package_of(name)
        )
    return out


def test_no_module_imports_itself_back():
    found = cycle(imports(modules()))
    assert found is None, "import cycle: " + " → ".join(found)


def test_packages_depend_one_way():
    found = cycle(package_graph(imports(modules())))
    assert found is None, "packages depend on each other both ways: " + " → ".join(found)


def test_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "generator"
    (package / "site").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "site" / "__init__.py").write_text("")
    (package / "site" / "finance.py").write_text(
        "from generator.site import common\n\ndef f():\n    from generator.site.scopes import key\n"
    )
    (package / "site" / "scopes.py").write_text("from generator.site.finance import f\n")
    (package / "site" / "common.py").write_text("")
    (package / "records.py").write_text("def g():\n    from .site import scopes\n")
    graph = imports(modules(package))
    found = cycle(graph)
    assert found[0] == found[-1] and set(found) == {"generator.site.finance", "generator.site.scopes"}
    assert graph["generator.records"] == {"generator.site.scopes"}
    assert cycle({"generator.a.x": {"generator.b.y"}, "generator.b.y": {"generator.a.z"}}) is None
    assert cycle(package_graph({"generator.a.x": {"generator.b.y"}, "generator.b.y": {"generator.a.z"}})) == [
        "generator.a",
        "generator.b",
        "generator.a",
    ]


def test_module_map_names_every_module_and_nothing_else():
    text = MODULE_MAP.read_text(encoding="utf-8")
    listed = set(re.findall(r"`(generator/[\w/]+\.py)`", text))
    present = {p.relative_to(REPO).as_posix() for p in modules().values()}
    assert not present - listed, f"modules missing from {MODULE_MAP.relative_to(REPO)}: {sorted(present - listed)}"
    assert not listed - present, f"{MODULE_MAP.relative_to(REPO)} names modules that do not exist: {sorted(listed - present)}"


@pytest.mark.parametrize("package", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()))
def test_module_map_has_a_section_per_package(package):
    text = MODULE_MAP.read_text(encoding="utf-8")
    assert re.search(rf"^## `generator/{package}/`", text, re.M), f"docs/handbook/modules.md has no section for {package}/"


def test_module_map_is_in_the_handbook_nav():
    assert "handbook/modules.md" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")


def test_status_names_are_spelled_only_by_the_schema():
    """The working cycle's statuses come from the schema's enum (records/schema.py), not from string literals."""
    from generator.records.schema import STATUSES

    assert len(STATUSES) == 6
    spelled = []
    for name, path in modules().items():
        if name.startswith("generator.demo"):  # the demo's tables of fake households name statuses as data
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in STATUSES:
                spelled.append(f"{path.relative_to(REPO)}:{node.lineno} {node.value}")
    assert not spelled, "status names spelled outside the schema: " + ", ".join(spelled)


def test_git_is_started_only_by_the_git_layer():
    """Every git process bangfu starts itself goes through generator/gitrun.py (replace objects off, one environment)."""
    started = []
    for name, path in modules().items():
        if name == "generator.gitrun":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "subprocess"
                and node.args
                and isinstance(node.args[0], (ast.List, ast.Tuple))
                and node.args[0].elts
                and isinstance(node.args[0].elts[0], ast.Constant)
                and node.args[0].elts[0].value == "git"
            ):
                started.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not started, "git started outside generator/gitrun.py: " + ", ".join(started)


GITPYTHON_HOME = "generator.history.git"  # gitpython finds the repository there; git itself runs through gitrun


def gitpython_uses(name: str, source: str) -> list[int]:
    """Lines of `source` (module `name`) that import gitpython outside its one place, or run git through it."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name == "git" or a.name.startswith("git.") for a in node.names):
            lines += [node.lineno] if name != GITPYTHON_HOME else []
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "git":
            lines += [node.lineno] if name != GITPYTHON_HOME else []
        elif isinstance(node, ast.Attribute) and node.attr == "git" and isinstance(node.value, ast.Attribute):
            lines += [node.lineno] if node.value.attr == "repo" else []  # repo.git.<command>(...): gitpython runs git
    return lines


def test_gitpython_only_finds_the_repository():
    """`import git` only in generator/history/git.py, and no `.repo.git.<command>` anywhere: git runs via gitrun."""
    found = []
    for name, path in modules().items():
        found += [f"{path.relative_to(REPO)}:{line}" for line in gitpython_uses(name, path.read_text(encoding="utf-8"))]
    assert not found, "gitpython used outside repository discovery: " + ", ".join(found)


def test_the_gitpython_check_sees_what_it_forbids():
    assert gitpython_uses("generator.site.x", "import git\n") == [1]
    assert gitpython_uses("generator.site.x", "from git import Repo\n") == [1]
    assert gitpython_uses("generator.site.x", "from git.exc import GitCommandError\n") == [1]
    assert gitpython_uses(GITPYTHON_HOME, "def f(a):\n    return a.repo.git.log('x')\n") == [2]
    assert gitpython_uses(GITPYTHON_HOME, "import git\n\ndef f(a):\n    return a.git('log'), a.repo.git_dir\n") == []
    assert gitpython_uses("generator.site.x", "from generator import gitrun\nfrom .git import x\n") == []

"""`bangfu review` markdown is posted as a pull request comment: hostile values must not become HTML or links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
from history_support import EDITOR, R4601, Archive, git, household

from generator.history.review import review

N1 = "4601059001"
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    "`代码` | 表格 | 列",
    "**粗体** _斜体_ ~~删~~",
    "<script>alert(2)</script>",
)
ALLOWED = {"h2", "h3", "p", "ul", "li", "code", "strong", "sub", "blockquote"}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_values_names_and_paths_stay_text(tmp_path):
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    repo.branch("hostile")
    hostile_author = ("](javascript:alert(3)) `x` *y*", "x@example.invalid")
    repo.commit(hostile_author, "Hostile", {N1: household(N1, 备注=" ".join(HOSTILE), 工作单位=HOSTILE[0])})
    odd = repo.root / "records" / "460105" / "`<img src=y onerror=alert(4)>`.yaml"
    odd.write_text("职工编号: x\n", encoding="utf-8")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "Odd file", who=EDITOR)
    text = review(repo.root, "main..hostile").to_markdown()
    parser = Tags()
    parser.feed(markdown.markdown(text))
    assert {tag for tag, _ in parser.tags} <= ALLOWED
    assert all(attrs == [] for _, attrs in parser.tags)  # no src=, href=, onerror=
    shown = "".join(parser.text)
    assert HOSTILE[0] in shown and "<img src=y onerror=alert(4)>" in shown and "javascript:alert(3)" in shown
    outside_code = re.sub(r"(`+).*?\1", "", text)  # code spans render their content literally
    assert "<img" not in outside_code and "<script" not in outside_code and "](javascript:" not in outside_code
    assert "``records/460105/`<img src=y onerror=alert(4)>`.yaml``" in text  # a longer fence than any backtick run


def test_review_names_program_files_and_a_merges_own_changes(tmp_path):
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    before = repo.head()
    repo.branch("program")
    repo.commit(EDITOR, "Program", {}, other={"generator/access/nginx.py": "ALLOW_ALL = True\n"})
    repo.merge("program", R4601, 2, during={N1: household(N1, 备注="合并时改的")})
    result = review(repo.root, f"{before}..main")
    assert "generator/access/nginx.py：修改了程序、模式、持续集成或其他非档案文件，须由省级（46）审核人审批。" in result.warnings
    assert result.warnings[-1] == (
        f"合并提交 {repo.head()[:8]}：合并人 示例海口审核员 <reviewer-4601@example.invalid> "
        "在合并时自己的改动（与 git 自动合并的结果不同）：records/460105/4601059001.yaml。"
    )
    assert result.home_line is None


def test_review_in_the_programs_home_says_program_files_are_reviewed_elsewhere(tmp_path):
    repo = Archive(tmp_path / "archive")
    repo.commit(EDITOR, "Home", {}, other={"pyproject.toml": '[project]\nname = "bangfu"\n'})
    repo.branch("program")
    repo.commit(EDITOR, "Program", {}, other={"generator/access/nginx.py": "ALLOW_ALL = True\n"})
    result = review(repo.root, "main..program")
    assert not any("generator/access/nginx.py" in w for w in result.warnings)
    assert "> 本仓库是 bangfu 程序自身的源代码仓库" in result.to_markdown()
    assert "（本次有 1 个这样的文件）" in result.home_line

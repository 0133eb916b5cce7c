"""A synthetic province as a real git history: editor branches merged by reviewers (git fast-import), each merge
signed by its reviewer with a key made for this run (git's SSH signing; private keys only under tests/tmp)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

from generator.demo.province import generate
from generator.records.dump import dump_record

TODAY = dt.date(2026, 11, 1)
REPO = Path(__file__).resolve().parent.parent
EDIT_SHARE = 0.2  # a fifth of the pull requests change existing households instead of adding new ones
KEYS = REPO / "tests" / "tmp" / "bench-keys"  # never committed (.gitignore)


def key_of(email: str) -> Path:
    """The private key a sample reviewer signs with, made once by ssh-keygen."""
    folder = KEYS / email
    if not (folder / "id").exists():
        KEYS.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="new-", dir=KEYS))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(scratch / "id")], check=True)
        try:
            scratch.rename(folder)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
    return folder / "id"


def signing(email: str) -> list[str]:
    """git options that sign with the reviewer's key."""
    return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key_of(email)}"]


def _without_keys(text: str) -> str:
    """The reviewers list without the keys it registers (the sample list's fake keys: the bench signs with its own)."""
    out, inside = [], None
    for line in text.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip(" "))
        if inside is not None and line.strip() and indent > inside:
            continue
        inside = indent if line.strip() == "公钥:" else None
        if inside is None:
            out.append(line)
    return "".join(out)


def _with_keys(text: str) -> str:
    """The reviewers list with each reviewer's public key (made for this run) registered instead of any listed."""
    text = _without_keys(text)

    def add(found: re.Match) -> str:
        key = Path(f"{key_of(found.group(2))}.pub").read_text(encoding="utf-8").split()
        indent = found.group(1)
        return f'{found.group(0)}{indent}公钥:\n{indent}  - 公钥: "{key[0]} {key[1]}"\n{indent}    生效日期: "2016-01-01"\n'

    # the sample list already registers fake keys (their private halves are public): replaced by this run's own
    text = re.sub(r"(?m)^( +)公钥:\n(?:\1  .*\n)+", "", text)
    return re.sub(r"(?m)^( +)邮箱: (\S+)\n", add, text)


def _reviewer_for(county: str, reviewers: list[tuple[str, str, str]]) -> tuple[str, str]:
    best = max((r for r in reviewers if county.startswith(r[0])), key=lambda r: len(r[0]), default=None)
    return (best[1], best[2]) if best else ("示例审核员", "reviewer@example.invalid")


def _reviewers(root: Path) -> list[tuple[str, str, str]]:
    path = root / "records" / "_settings" / "reviewers.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("审核人", data.get("reviewers", [])) or []:
        if isinstance(entry, dict):
            for code in entry.get("地区", []) or []:
                out.append((str(code), entry.get("姓名", "审核员"), entry.get("邮箱", "reviewer@example.invalid")))
    return out


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"data %d\n" % len(raw) + raw + b"\n"


def make_province_repo(root: Path, households: int, commits: int, seed: int = 1) -> int:
    """Write a province of `households` into a new repository at root with about `commits` commits."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    settings = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "records" / "_settings").glob("*.yaml")}
    settings["reviewers.yaml"] = _with_keys(settings["reviewers.yaml"])
    (root / "records" / "_settings").mkdir(parents=True, exist_ok=True)
    for name, text in settings.items():
        (root / "records" / "_settings" / name).write_text(text, encoding="utf-8")
    reviewers = _reviewers(root)
    by_county: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for rel, data in generate(households, seed, TODAY):
        by_county[rel.split("/")[-2]].append((rel, data))
    prs = max(1, (commits - 1) // 2)
    edit_prs = int(prs * EDIT_SHARE)
    add_prs = prs - edit_prs
    batch = max(1, -(-households // add_prs))
    batches = [(county, items[i : i + batch]) for county, items in sorted(by_county.items()) for i in range(0, len(items), batch)]
    stamp = int(dt.datetime(2016, 9, 1).timestamp())
    out = [
        b"reset refs/heads/main\ncommit refs/heads/main\nmark :1\n",
        b"author \xe7\xa4\xba\xe4\xbe\x8b\xe7\xae\xa1\xe7\x90\x86\xe5\x91\x98 <admin@example.invalid> %d +0800\n" % stamp,
        b"committer \xe7\xa4\xba\xe4\xbe\x8b\xe7\xae\xa1\xe7\x90\x86\xe5\x91\x98 <admin@example.invalid> %d +0800\n" % stamp,
        _data("Add the province's settings"),
    ]
    out += [b"M 100644 inline records/_settings/%s\n" % name.encode() + _data(text) for name, text in sorted(settings.items())]
    mark, main_mark, number, written = 1, 1, 0, {}
    seconds_per_pr = max(60, int((TODAY - dt.date(2016, 9, 2)).total_seconds()) // (prs + 1))

    def pull_request(county: str, files: dict[str, str], title: str) -> None:
        nonlocal mark, main_mark, number, stamp
        number += 1
        stamp += seconds_per_pr
        editor = f"编辑{county}".encode()
        blobs = []
        for rel, text in files.items():
            mark += 1
            out.append(b"blob\nmark :%d\n" % mark + _data(text))
            blobs.append((rel, mark))
        # fast-import does not merge trees: the merge commit names the same blobs as the branch commit.
        changes = b"".join(b"M 100644 :%d %s\n" % (blob, rel.encode()) for rel, blob in blobs)
        mark += 1
        out.append(
            b"commit refs/heads/pr\nmark :%d\nauthor %s <editor-%s@example.invalid> %d +0800\n"
            % (mark, editor, county.encode(), stamp - 600)
        )
        out.append(b"committer %s <editor-%s@example.invalid> %d +0800\n" % (editor, county.encode(), stamp - 600))
        out.append(_data(title) + b"from :%d\n" % main_mark + changes)
        name, email = _reviewer_for(county, reviewers)
        mark += 1
        out.append(
            b"commit refs/heads/main\nmark :%d\nauthor %s <%s> %d +0800\ncommitter %s <%s> %d +0800\n"
            % (mark, name.encode(), email.encode(), stamp, name.encode(), email.encode(), stamp)
        )
        out.append(
            _data(f"Merge pull request #{number} from editor-{county}/pr-{number}\n\n{title}")
            + b"from :%d\nmerge :%d\n" % (main_mark, mark - 1)
            + changes
        )
        main_mark = mark

    edits_every = max(1, len(batches) // max(1, edit_prs))
    for index, (county, items) in enumerate(batches):
        files = {rel: dump_record(data) for rel, data in items}
        written.update({rel: (county, data) for rel, data in items})
        pull_request(county, files, f"Add {len(files)} households in {county}")
        if edit_prs and index % edits_every == 0:
            edit_prs -= 1
            targets = [rel for rel, _ in items][:10]
            changed = {}
            for rel in targets:
                data = written[rel][1]
                if data.get("状态") == "帮扶中":
                    ledger = list(data.get("帮扶台账") or [])
                    ledger.append(
                        {
                            "日期": "2026-10-15",
                            "帮扶类型": "送温暖慰问",
                            "金额": 500,
                            "帮扶人": data.get("帮扶责任人", {}).get("姓名", "示例帮扶人"),
                        }
                    )
                    data = {**data, "帮扶台账": ledger}
                    written[rel] = (county, data)
                    changed[rel] = dump_record(data)
            if changed:
                pull_request(county, changed, f"Record assistance for {len(changed)} households in {county}")
    out.append(b"reset refs/heads/pr\nfrom 0000000000000000000000000000000000000000\n")
    subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=root, input=b"".join(out), check=True)
    subprocess.run(["git", "update-ref", "-d", "refs/heads/pr"], cwd=root, check=False)
    _sign_merges(root)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)
    return int(subprocess.run(["git", "rev-list", "--count", "main"], cwd=root, capture_output=True, text=True).stdout)


def _sign_merges(root: Path) -> None:
    """Remake main's commits with `git commit-tree`, same trees, people and dates, each merge signed by its committer
    (fast-import cannot sign)."""
    log = subprocess.run(
        [
            "git",
            "log",
            "-z",
            "--reverse",
            "--topo-order",
            "--date=raw",
            "--format=%H%x1f%P%x1f%T%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd%x1f%B",
            "refs/heads/main",
        ],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    new: dict[str, str] = {}
    for entry in filter(None, log.split("\0")):
        sha, parents, tree, an, ae, ad, cn, ce, cd, message = entry.split("\x1f", 9)
        parents = parents.split()
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": an,
            "GIT_AUTHOR_EMAIL": ae,
            "GIT_AUTHOR_DATE": ad,
            "GIT_COMMITTER_NAME": cn,
            "GIT_COMMITTER_EMAIL": ce,
            "GIT_COMMITTER_DATE": cd,
        }
        sign = [*signing(ce)] if len(parents) > 1 else []
        args = ["git", *sign, "commit-tree", *(["-S"] if sign else []), tree]
        for parent in parents:
            args += ["-p", new[parent]]
        new[sha] = (
            subprocess.run(args, cwd=root, env=env, input=message.encode("utf-8"), capture_output=True, check=True)
            .stdout.decode()
            .strip()
        )
    subprocess.run(["git", "update-ref", "refs/heads/main", new[sha]], cwd=root, check=True)


def merge_one_change(root: Path) -> None:
    """An editor changes one household on a branch; its county's reviewer merges it with --no-ff."""
    target = sorted((root / "records").glob("4*/*.yaml"))[7]
    county = target.parent.name
    name, email = _reviewer_for(county, _reviewers(root))
    editor = {
        "GIT_AUTHOR_NAME": f"编辑{county}",
        "GIT_AUTHOR_EMAIL": f"editor-{county}@example.invalid",
        "GIT_COMMITTER_NAME": f"编辑{county}",
        "GIT_COMMITTER_EMAIL": f"editor-{county}@example.invalid",
    }
    reviewer = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    env = dict(os.environ)
    count = int(subprocess.run(["git", "rev-list", "--count", "main"], cwd=root, capture_output=True, text=True).stdout)
    branch = f"edit-{count}"
    subprocess.run(["git", "checkout", "-q", "-b", branch, "main"], cwd=root, check=True)
    text = target.read_text(encoding="utf-8")
    note = f"备注: 基准测试第 {count} 次修改\n"
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("备注: ")]
    target.write_text("".join(lines) + note, encoding="utf-8")
    subprocess.run(["git", "commit", "-q", "-am", f"Update a note in {county}"], cwd=root, env={**env, **editor}, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    subprocess.run(
        [
            "git",
            *signing(email),
            "merge",
            "-q",
            "--no-ff",
            "-S",
            branch,
            "-m",
            f"Merge pull request #{count} from editor/{branch}",
        ],
        cwd=root,
        env={**env, **reviewer},
        check=True,
    )
    subprocess.run(["git", "branch", "-q", "-D", branch], cwd=root, check=True)

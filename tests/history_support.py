"""Real git repositories for the history tests: editors' branches, reviewers' merges, named identities."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml
from conftest import apply_changes, sample_reviewers_text
from stdnum.cn import ric

from generator.records.dump import dump_record

REPO = Path(__file__).resolve().parent.parent
BASE = REPO / "tests" / "cases" / "base.yaml"

ADMIN = ("示例管理员", "admin@example.invalid")
EDITOR = ("测试编辑", "editor@example.invalid")
EDITOR2 = ("测试编辑乙", "editor2@example.invalid")
R46 = ("示例省级审核员", "reviewer-46@example.invalid")
R4601 = ("示例海口审核员", "reviewer-4601@example.invalid")
R4602 = ("示例三亚审核员", "reviewer-4602@example.invalid")
R460105 = ("示例秀英审核员", "reviewer-460105@example.invalid")
KEYS = REPO / "tests" / "tmp" / "keys"  # private keys made at run time, never committed (.gitignore)
KEY_FROM = "2020-01-01"


def key_of(email: str, name: str = "") -> Path:
    """The private key file of a test person (name picks a second key), made once with ssh-keygen."""
    folder = KEYS / f"{email}{'-' + name if name else ''}"
    if not (folder / "id").exists():
        KEYS.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="new-", dir=KEYS))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(scratch / "id")], check=True)
        try:
            scratch.rename(folder)  # atomic; a parallel worker that made it first wins
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
    return folder / "id"


def public_key(email: str, name: str = "") -> str:
    return Path(f"{key_of(email, name)}.pub").read_text(encoding="utf-8").strip()


def key_entry(email: str, name: str = "", since: str = KEY_FROM, until: str = "", revoked: str = "") -> str:
    """One item of a reviewer's 公钥 list in reviewers.yaml (YAML, indented for the sample file)."""
    text = f'      - 公钥: "{public_key(email, name)}"\n        生效日期: "{since}"\n'
    text += f'        失效日期: "{until}"\n' if until else ""
    return text + (f'        撤销日期: "{revoked}"\n' if revoked else "")


def with_keys(text: str, keys: dict[str, str] | None = None) -> str:
    """The sample reviewers file with a 公钥 list after each reviewer's 账号 (keys: e-mail → list text)."""

    def add(found: re.Match) -> str:
        email = found.group(1)
        entries = keys.get(email) if keys is not None else key_entry(email)
        return found.group(0) + (f"    公钥:\n{entries}" if entries else "")

    return re.sub(r"(?m)^    邮箱: (\S+)\n    账号: \S+\n", add, text)


def as_env(person: tuple[str, str], committer: tuple[str, str] | None = None) -> dict:
    """Git identity variables for one commit (never the machine's git config)."""
    committer = committer or person
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": person[0],
        "GIT_AUTHOR_EMAIL": person[1],
        "GIT_COMMITTER_NAME": committer[0],
        "GIT_COMMITTER_EMAIL": committer[1],
    }


def git(
    root: Path, *args: str, who: tuple[str, str] = ADMIN, committer=None, check: bool = True, sign: Path | None = None
) -> str:
    """Run git as `who`; sign: a private key file, to sign the commit it makes with git's SSH signing."""
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign}", "-c", "commit.gpgSign=true"] if sign else []
    done = subprocess.run(["git", *signing, *args], cwd=root, env=as_env(who, committer), capture_output=True, text=True)
    if check and done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


@lru_cache(maxsize=1)
def _base() -> dict:
    return yaml.load(BASE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _id(region: str, birth: str, seq: int, sex: str) -> str:
    body = f"{region}{birth.replace('-', '')}{seq % 100:02d}{1 if sex == '男' else 2}"
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def household(number: str, **changes) -> dict:
    """A valid household numbered `number` (its county is the first six digits), with fields replaced."""
    data = copy.deepcopy(_base())
    county, seq = number[:6], int(number[6:])
    data.update({"职工编号": number, "所属地区": county, "户口所在地行政区划": county})
    data["身份证号"] = _id(county, data["出生日期"], seq, data["性别"])
    for i, member in enumerate(data["家庭主要成员"]):
        if member.get("身份证号"):
            member["身份证号"] = _id(county, member["出生日期"], seq + 50 + i, member["性别"])
    return apply_changes(data, changes)


def path_of(number: str) -> str:
    return f"records/{number[:6]}/{number}.yaml"


class Archive:
    """A working repository whose main branch editors change through branches that reviewers merge."""

    def __init__(self, root: Path, reviewers_text: str | None = None):
        self.root = root
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        shutil.copytree(REPO / "records" / "_settings", root / "records" / "_settings")
        reviewers = root / "records" / "_settings" / "reviewers.yaml"
        # The repository's own audit baseline names one of its commits, which a test repository does not have.
        # Every sample reviewer signs with a key made for this test run.
        reviewers.write_text(with_keys(sample_reviewers_text()), encoding="utf-8")
        if reviewers_text is not None:
            (root / "records" / "_settings" / "reviewers.yaml").write_text(reviewers_text, encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "Import settings")
        self.initial = self.head()

    def head(self, rev: str = "HEAD") -> str:
        return git(self.root, "rev-parse", rev)

    def write(self, number: str, data: dict | None) -> str:
        path = self.root / path_of(number)
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_record(data), encoding="utf-8")
        return path_of(number)

    def put(self, rel: str, text: str | None) -> None:
        """Write (or delete, for None) any file of the repository: program, schema, CI, settings."""
        path = self.root / rel
        if text is None:
            path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def commit(
        self,
        who: tuple[str, str],
        message: str,
        files: dict[str, dict | None],
        committer=None,
        other: dict[str, str | None] | None = None,
        sign: Path | None = None,
    ) -> str:
        """Write (or delete, for None) households and other files, and commit them as `who` on the current branch."""
        for number, data in files.items():
            self.write(number, data)
        for rel, text in (other or {}).items():
            self.put(rel, text)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message, who=who, committer=committer, sign=sign)
        return self.head()

    def branch(self, name: str, start: str = "main") -> None:
        git(self.root, "checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        git(self.root, "checkout", "-q", name)

    def merge(
        self,
        branch: str,
        who: tuple[str, str],
        number: int | None = None,
        message: str | None = None,
        committer=None,
        during: dict[str, dict | None] | None = None,
        other: dict[str, str | None] | None = None,
        sign: Path | None | bool = True,
    ) -> str:
        """A reviewer's --no-ff merge of an editor's branch into main.

        during/other: households and files the merger changes by hand before committing the merge
        (`git merge --no-commit`, an "evil merge"); a conflicting merge needs them to resolve it.
        sign: True signs with the committer's own test key (as a reviewer does), a key file signs with that key,
        None leaves the merge unsigned.
        """
        if sign is True:
            sign = key_of((committer or who)[1])
        self.checkout("main")
        text = message or (f"Merge pull request #{number} from editor/{branch}" if number else f"Merge branch '{branch}'")
        if during is None and other is None:
            git(self.root, "merge", "-q", "--no-ff", "-m", text, branch, who=who, committer=committer, sign=sign)
            return self.head()
        git(self.root, "merge", "-q", "--no-ff", "--no-commit", branch, who=who, committer=committer, check=False)
        return self.commit(who, text, during or {}, committer, other, sign=sign)

    def pull_request(self, name: str, editor, reviewer, number: int, files: dict[str, dict | None]) -> str:
        """Branch, commit as the editor, merge as the reviewer: the approved path to main."""
        self.branch(name)
        self.commit(editor, f"Edit households ({name})", files)
        return self.merge(name, reviewer, number)


class Server:
    """A bare repository on "the server" holding the work repository's main, with the pre-receive hook installed."""

    def __init__(self, bare: Path, work: Archive):
        from generator.history.hooks import install_hook

        self.bare, self.work = bare, work
        git(bare.parent, "init", "-q", "--bare", "-b", "main", str(bare))
        git(work.root, "remote", "add", "origin", str(bare))
        done = self.push("main")
        assert done.returncode == 0, done.stderr
        install_hook(bare, pusher_source="http")

    def push(self, *args: str, pusher: str | None = None) -> subprocess.CompletedProcess:
        """Push as the account `pusher` (the web server's REMOTE_USER), or with no account known."""
        env = {k: v for k, v in as_env(EDITOR).items() if k not in ("REMOTE_USER", "GITEA_PUSHER_NAME", "GL_USERNAME")}
        env.update({"REMOTE_USER": pusher} if pusher else {})
        return subprocess.run(["git", "push", "-q", "origin", *args], cwd=self.work.root, env=env, capture_output=True, text=True)

    def main(self) -> str:
        return git(self.bare, "rev-parse", "refs/heads/main")

    def refused(self, reason: str) -> str:
        """Push main, assert the hook refused it naming `reason`, and that the server's main did not move."""
        before = self.main()
        done = self.push("main")
        assert done.returncode != 0 and reason in done.stderr, done.stderr
        assert self.main() == before
        return done.stderr

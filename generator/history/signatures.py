"""Signed merges, checked offline: git's own SSH signature check against the keys of the approved reviewers list.

Each approving merge is checked with an allowed-signers file built from reviewers.yaml as it stood, approved,
at the merge's first parent (never from the commit being checked): a key the merge itself adds does not count,
a key removed or revoked before the merge no longer counts, and a key's 生效日期/失效日期 become git's
valid-after/valid-before (checked against the commit's date). Verdicts are kept in the git directory keyed by
the commit id and the allowed-signers text, so each merge is verified once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator import gitrun
from generator.access.reviewers import Reviewers

CACHE = "bangfu-signatures-v1"  # in the git directory: "<commit> <allowed-signers digest> <verdict> <principal>"
GOOD, UNSIGNED, BAD = "good", "unsigned", "bad"
WORKERS, CHUNK = 4, 50
NOT_VERIFIABLE = "签名无法验证"
NO_SSH_KEYGEN = "本机没有 ssh-keygen，无法核验签名（Debian：apt-get install openssh-client；Windows：Git for Windows 自带）"
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Verdict:
    """What git says about one commit's signature under one allowed-signers file."""

    status: str  # GOOD, UNSIGNED or BAD
    signer: str = ""  # the e-mail whose key made a good signature
    detail: str = ""  # git's one-letter result and the key's fingerprint, for messages
    final: bool = True  # False when this machine could not check (no ssh-keygen, git failed): never kept

    @property
    def good(self) -> bool:
        return self.status == GOOD


class Signers:
    """The allowed-signers text for one approved reviewers list, with principals that map back to e-mails."""

    def __init__(self, reviewers: Reviewers):
        emails = reviewers.signing_emails()
        self.by_principal = {f"bangfu-{i + 1}": email for i, email in enumerate(emails)}
        principal = {email: p for p, email in self.by_principal.items()}
        lines = []
        for key in reviewers.keys:
            if key.revoked:
                continue  # revoked in the approved list: no merge checked against it may use the key
            options = ['namespaces="git"', f'valid-after="{_stamp(key.valid_after)}"']
            if key.valid_before:
                options.append(f'valid-before="{_stamp(key.valid_before)}"')
            lines.append(f"{principal[key.email]} {','.join(options)} {key.key}\n")
        self.text = "".join(lines)
        self.digest = hashlib.sha256(self.text.encode()).hexdigest()[:16]


def _stamp(day: str) -> str:
    """YYYY-MM-DD → the allowed-signers time, midnight UTC."""
    return day.replace("-", "") + "0000Z"


def verify(git_dir: Path, jobs: list[tuple[str, Reviewers]], env: dict | None = None) -> dict[tuple[str, str], Verdict]:
    """(commit, signers digest) → verdict for each (commit, approved list) asked about; one git run per list."""
    cache_file = Path(git_dir) / CACHE
    known = _read_cache(cache_file)
    out: dict[tuple[str, str], Verdict] = {}
    groups: dict[str, tuple[Signers, list[str]]] = {}
    for sha, reviewers in jobs:
        signers = Signers(reviewers)
        key = (sha, signers.digest)
        if key in known:
            out[key] = known[key]
        elif key not in out:
            groups.setdefault(signers.digest, (signers, []))[1].append(sha)
            out[key] = Verdict(UNSIGNED)
    if not groups:
        return out
    env = {**(env or os.environ), "GIT_DIR": str(git_dir), "GIT_NO_REPLACE_OBJECTS": "1"}
    signed, other = _signed(env, sorted({sha for _, shas in groups.values() for sha in shas}))
    fresh: dict[tuple[str, str], Verdict] = {}
    with tempfile.TemporaryDirectory(prefix="bangfu-signers-") as scratch:
        for digest, (signers, shas) in groups.items():
            asked = [s for s in shas if s in signed]
            fresh.update({(s, digest): Verdict(UNSIGNED) for s in shas if s not in signed and s not in other})
            # A GPG or X.509 signature is never taken to git: its signer names come from the local keyring.
            fresh.update({(s, digest): Verdict(BAD, detail="不是 SSH 签名") for s in shas if s in other})
            if asked:
                path = Path(scratch) / f"{digest}.allowed"
                path.write_text(signers.text, encoding="utf-8")
                size = max(CHUNK, -(-len(asked) // WORKERS))  # git checks one commit after another: a few runs at once
                chunks = [asked[i : i + size] for i in range(0, len(asked), size)]
                with ThreadPoolExecutor(max_workers=min(WORKERS, len(chunks))) as pool:
                    for found in pool.map(_check, [env] * len(chunks), [path] * len(chunks), chunks, [signers] * len(chunks)):
                        fresh.update({(s, digest): v for s, v in found.items()})
    out.update(fresh)
    _write_cache(cache_file, fresh)
    return out


def _signed(env: dict, shas: list[str]) -> tuple[set[str], set[str]]:
    """(commits with an SSH signature, commits with another kind of signature), in one `git cat-file --batch`."""
    ssh: set[str] = set()
    other: set[str] = set()
    if not shas:
        return ssh, other
    done = gitrun.run("cat-file", "--batch", input="".join(f"{s}\n" for s in shas).encode(), base=env)
    data, i = done.stdout, 0
    while i < len(data):
        end = data.index(b"\n", i)
        head = data[i:end].split()
        if len(head) < 3:
            break
        size = int(head[2])
        body = data[end + 1 : end + 1 + size]
        headers = body.split(b"\n\n", 1)[0]
        found = re.search(rb"^gpgsig(?:-sha256)? (.*)$", headers, re.MULTILINE)
        if found:
            (ssh if found.group(1).strip() == b"-----BEGIN SSH SIGNATURE-----" else other).add(head[0].decode())
        i = end + 1 + size + 1
    return ssh, other


def _check(env: dict, allowed: Path, shas: list[str], signers: Signers) -> dict[str, Verdict]:
    """git's own signature check (what `git verify-commit` runs) for many commits at once."""
    if shutil.which("ssh-keygen", path=env.get("PATH")) is None:
        return {s: Verdict(BAD, detail=NO_SSH_KEYGEN, final=False) for s in shas}
    done = gitrun.run(
        "-c",
        "gpg.format=ssh",
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed}",
        "-c",
        "gpg.ssh.defaultKeyCommand=",
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "--format=%H%x1f%G?%x1f%GS%x1f%GF",
        input="".join(f"{s}\n" for s in shas).encode(),
        base=env,
    )
    out = {s: Verdict(BAD, detail=f"git 无法核验：{_last(done.stderr)}", final=False) for s in shas}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\x1f")
        if len(parts) != 4 or parts[0] not in out:
            continue
        sha, result, principal, fingerprint = parts
        if result == "G" and principal in signers.by_principal:
            out[sha] = Verdict(GOOD, signers.by_principal[principal], fingerprint)
        elif result == "N":
            out[sha] = Verdict(UNSIGNED)
        else:
            out[sha] = Verdict(BAD, detail=f"{result} {fingerprint}".strip(), final=result != "E")  # E: could not check
    return out


def _last(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "没有输出"


def _read_cache(path: Path) -> dict[tuple[str, str], Verdict]:
    out = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 5 and _SHA.fullmatch(parts[0]) and parts[2] in (GOOD, UNSIGNED, BAD):
            out[(parts[0], parts[1])] = Verdict(parts[2], parts[3], parts[4])
    return out


def _write_cache(path: Path, fresh: dict[tuple[str, str], Verdict]) -> None:
    if not fresh:
        return
    try:  # one appending write, as the clean-merges list in generator/history/merges.py
        with open(path, "a", encoding="utf-8") as out:
            out.write("".join(f"{s}\t{d}\t{v.status}\t{v.signer}\t{v.detail}\n" for (s, d), v in fresh.items() if v.final))
    except OSError:
        pass


class Book:
    """Verdicts for one walk of the line: asked in bulk first (primed), one at a time only when the list differs."""

    def __init__(self, git_dir: Path):
        self.git_dir = Path(git_dir)
        self._known: dict[tuple[str, str], Verdict] = {}
        self._digests: dict[int, tuple[Reviewers, str]] = {}  # the list is kept so that its id is never reused

    def _digest(self, reviewers: Reviewers) -> str:
        if id(reviewers) not in self._digests:
            self._digests[id(reviewers)] = (reviewers, Signers(reviewers).digest)
        return self._digests[id(reviewers)][1]

    def prime(self, jobs: list[tuple[str, Reviewers]]) -> None:
        self._known.update(verify(self.git_dir, jobs))

    def verdict(self, sha: str, reviewers: Reviewers) -> Verdict:
        key = (sha, self._digest(reviewers))
        if key not in self._known:
            self._known.update(verify(self.git_dir, [(sha, reviewers)]))
        return self._known[key]


def fingerprint(key: str) -> str:
    """SHA256:… as `ssh-keygen -l` prints it, for a reviewer to compare by phone before approving a key."""
    import base64

    try:
        blob = base64.b64decode(key.split()[1], validate=True)
    except (IndexError, ValueError):
        return "（无法解析的公钥）"
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_changes(before: Reviewers, after: Reviewers) -> list[str]:
    """What a change to the reviewers list does to the keys and to 要求签名, in the reviewer's words."""
    old = {(k.email, k.key): k for k in before.keys}
    new = {(k.email, k.key): k for k in after.keys}
    out = []
    for ident, key in new.items():
        dates = f"生效日期 {key.valid_after}" + (f"，失效日期 {key.valid_before}" if key.valid_before else "")
        if ident not in old:
            out.append(
                f"新增公钥：{key.email} 的 {fingerprint(key.key)}（{dates}）。批准前请与本人当面或电话核对这个指纹"
                "（本人执行 ssh-keygen -lf 公钥文件）；用它签名的合并要等这次修改合并之后才有效。"
            )
        elif key.revoked and not old[ident].revoked:
            out.append(
                f"撤销公钥：{key.email} 的 {fingerprint(key.key)}（撤销日期 {key.revoked}）：合并之后再用它签名的合并无效，"
                "此前的合并不受影响。"
            )
        elif key != old[ident]:
            out.append(f"修改公钥日期：{key.email} 的 {fingerprint(key.key)}，现为{dates}。")
    for ident, key in old.items():
        if ident not in new:
            out.append(f"删除公钥：{key.email} 的 {fingerprint(key.key)}：合并之后再用它签名的合并无效，此前的合并不受影响。")
    if before.require_signatures != after.require_signatures:
        out.append(f"要求签名：{before.require_signatures or '未设定'} → {after.require_signatures or '删除'}。")
    return out

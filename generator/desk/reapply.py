"""Main moved meanwhile: re-apply an editor's field changes on the new main (a three-way merge of the parsed record).

git merges lines, and two caseworkers changing neighbouring fields (邮政编码 and 手机号码 are adjacent lines) conflict
for git although they do not for the record. Field by field, against the request's merge base: a field only the
request changed takes the request's value, a field only main changed keeps main's, a field both changed to
different values is a conflict (both values are shown; nothing is written). The re-applied commit is authored by the
request's editor and replaces the request's tip (`update-ref` from the value read), so the approving merge is clean.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.desk.plumbing import MAIN, RECORD, Git, Request
from generator.records.dump import dump_record
from generator.records.load import parse_bytes

MISSING = object()


@dataclass(frozen=True)
class Clash:
    path: str
    field: str
    main: object
    request: object


def _data(git: Git, commit: str, path: str) -> dict | None:
    raw = git.blob(commit, path)
    if raw is None:
        return None
    record, _ = parse_bytes(raw, path)
    return record.data if record is not None else None


def three_way(base: dict, ours: dict, theirs: dict, path: str) -> tuple[dict, list[Clash]]:
    """(merged record, clashes) of main's record (ours) and the request's (theirs) against their merge base."""
    merged, clashes = dict(ours), []
    for key in dict.fromkeys([*base, *ours, *theirs]):
        old, mine, other = base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING)
        if other == old or other == mine:
            continue
        if mine == old:
            if other is MISSING:
                merged.pop(key, None)
            else:
                merged[key] = other
        else:
            clashes.append(Clash(path, key, None if mine is MISSING else mine, None if other is MISSING else other))
    return merged, clashes


def merged_files(
    git: Git, request: Request, main: str, choices: dict[str, str] | None = None
) -> tuple[dict[str, bytes], list[Clash]]:
    """(path → the re-applied record, clashes) of the request on `main`; a field the editor chose a side for
    (choices: field → "main" or "request") is taken from that side instead of clashing."""
    base = git.run("merge-base", main, request.head)
    files: dict[str, bytes] = {}
    clashes: list[Clash] = []
    for path in git.changed(main, request.head):
        sides = [_data(git, commit, path) for commit in (base, main, request.head)]
        if not RECORD.fullmatch(path) or any(side is None for side in sides):
            return {}, [Clash(path, "", "（文件在一方新增、删除或无法读取）", "")]
        merged, found = three_way(*sides, path)
        for clash in found:
            side = (choices or {}).get(clash.field)
            if side not in ("main", "request"):
                clashes.append(clash)
                continue
            value = clash.main if side == "main" else clash.request
            source = sides[1] if side == "main" else sides[2]
            if clash.field in source:
                merged[clash.field] = value
            else:
                merged.pop(clash.field, None)
        files[path] = dump_record(merged).encode("utf-8")
    return files, clashes


def rewrite(git: Git, request: Request, main: str, files: dict[str, bytes], note: str = "") -> Request:
    """The request's tip replaced by one commit on `main` writing `files`, authored by the request's editor."""
    author = git.author_of(request.head)
    message = (
        git.run("log", "-1", "--format=%B", request.head)
        + "\n\n"
        + (note or "（main 在此期间有其他修改：编辑台在新的 main 上按字段重新应用本修改。）\n")
    )
    commit = git.commit_files(main, files, author, message)
    git.update_ref(request.ref, commit, request.head, "bangfu desk: re-applied on main")
    return Request(request.ref, request.user, request.number, request.serial, commit)


def reapply(git: Git, request: Request) -> tuple[Request | None, list[Clash]]:
    """(the request re-applied on main, []) or (None, the clashing fields); only records changed on both sides."""
    main = git.resolve(MAIN)
    files, clashes = merged_files(git, request, main)
    if clashes:
        return None, clashes
    return rewrite(git, request, main, files), []

"""Approving, resolving and after: the combined record checked before any merge, conflicts put to the editor, and
the merged page that tells when the household's page is live (and whether main reached the forge)."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from generator import gitrun
from generator.access import urls
from generator.desk import form as desk_form
from generator.desk.combined import combine, messages
from generator.desk.identity import User
from generator.desk.plumbing import MAIN, RECORD, Git, Person, PlumbingError, Request
from generator.desk.reapply import rewrite
from generator.desk.state import CONFLICT, NEEDS_REVISION, mark, mark_of, unmark
from generator.rules.regions import regions

log = logging.getLogger("bangfu.desk")
flow = Blueprint("flow", __name__)
SIDES = {"main": "采用 main 上的值", "request": "采用本请求的值"}


def desk():
    """The desk's parts the views share (set by create_app): git, config, publisher."""
    return current_app.extensions["bangfu_desk"]


def deny(user: User, what: str):
    log.warning("desk denied: user=%s %s %r %s", user.login, request.method, request.path, what)
    abort(403)


def approve(git: Git, found: Request, user: User, merger: Person, key, publisher) -> tuple[str | None, str]:
    """Merge the request if main with it is still valid: (merge commit, "") or (None, why not, with the request marked)."""
    combined = combine(git, found)
    if combined.clashes:
        shown = [_clash(c) for c in combined.clashes]
        mark(git, found, CONFLICT, [], shown)
        log.info("desk conflict: user=%s request=%s fields=%s", user.login, found.ref, [c["field"] for c in shown])
        return None, "这个修改请求与 main 上的新修改改了同一字段，不能合并；已请经办人对照两边的值选择后重新提交：" + "；".join(
            f"{c['field'] or c['path']}：main 上为“{c['main']}”，本请求为“{c['request']}”" for c in shown
        )
    if combined.errors:
        mark(git, found, NEEDS_REVISION, messages(combined.errors))
        log.info("desk needs revision: user=%s request=%s errors=%d", user.login, found.ref, len(combined.errors))
        shown = "；".join(messages(combined.errors))
        return None, f"与 main 上的新修改合在一起后，档案有 {len(combined.errors)} 个错误，未合并；已标记为需要修改：{shown}"
    if not combined.clean:
        found = rewrite(git, found, combined.main, combined.files)
    message = f"编辑台：合并 {found.number} 的修改请求（{found.user}）\n\nApproved-by: {user.person}\n"
    merged = git.merge(found, user.person, merger, key, message, main=combined.main)
    try:
        unmark(git, found)
        publisher.after_merge(merged)
    except OSError as exc:  # merged all the same: the page says the site is not yet published, the log says why
        log.error("desk cannot start publishing after %s: %s", merged, exc)
    return merged, ""


def request_extras(git: Git, user: User, found: Request) -> dict:
    """For the request page: its mark, and for its editor the clashing fields with both values to choose from."""
    found_mark = mark_of(git, found)
    clashes = []
    if found.user == user.login and found_mark and found_mark.get("kind") == CONFLICT:
        clashes = [_clash(c) for c in combine(git, found).clashes if c.field]
    return {"mark": found_mark, "clashes": clashes, "sides": SIDES}


def _clash(clash) -> dict:
    shown = desk_form.shown
    return {"path": clash.path, "field": clash.field, "main": shown(clash.main), "request": shown(clash.request)}


@flow.post("/desk/r/<login>/<name>/resolve")
def resolve(login: str, name: str):
    """The editor takes, field by field, main's value or their own; the request is re-applied on main and checked."""
    user: User = g.user
    git: Git = desk().git
    found = git.request(f"refs/heads/desk/{login}/{name}")
    if found is None:
        abort(404)
    if found.user != user.login or not all(user.may_edit(p.split("/")[1]) for p in git.changed(git.resolve(MAIN), found.head)):
        deny(user, f"resolve {found.ref}")
    live = combine(git, found).clashes
    choices = {c.field: request.form.get(f"take-{c.field}", "") for c in live if c.field}
    if not live or any(c.field == "" for c in live):
        return render_template("error.html", title="无需选择", text="这个修改请求现在没有可以逐字段选择的冲突。"), 409
    if any(side not in SIDES for side in choices.values()):
        return render_template("error.html", title="请逐项选择", text="请为每个冲突字段选择采用哪一边的值。"), 400
    combined = combine(git, found, choices)
    if combined.clashes or combined.errors:
        text = "；".join(messages(combined.errors)) or "仍有冲突，请重新打开修改请求。"
        return render_template("error.html", title="选择后的档案仍有错误", text=f"未保存：{text}"), 409
    try:
        note = "（经办人对照 main 上的新修改逐字段选择：" + "，".join(f"{k}{SIDES[v]}" for k, v in choices.items()) + "。）\n"
        again = rewrite(git, found, combined.main, combined.files, note)
    except PlumbingError as exc:
        return render_template("error.html", title="不能保存", text=str(exc)), 409
    log.info("desk resolve: user=%s request=%s choices=%s", user.login, found.ref, choices)
    return redirect(url_for("change_request", login=again.user, name=f"{again.number}-{again.serial}"), code=303)


@flow.get("/desk/m/<sha>")
def merged(sha: str):
    """One approving merge: its households (links to their pages once published) and where the publishing stands."""
    user: User = g.user
    git: Git = desk().git
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        abort(404)
    parents = git.run("rev-list", "--parents", "-n", "1", sha, check=False).split()
    main = git.resolve(MAIN)
    if len(parents) != 3 or not _ancestor(git, sha, main):  # an approving merge on main, nothing else
        abort(404)
    changed = git.run("diff-tree", "-r", "--no-renames", "--name-only", "-z", parents[1], sha).split("\0")
    found = [RECORD.fullmatch(p) for p in changed if RECORD.fullmatch(p)]
    counties = {m[1] for m in found}
    reviewers = g.reviewers
    if not counties or not all(user.may_edit(c) or user.may_review(c, reviewers) for c in counties):
        deny(user, f"merge {sha}")
    log.info("desk read: user=%s merge=%s", user.login, sha)
    status = desk().publisher.status(sha)
    table = regions()
    households = [(m[2], table.name(m[1]), "/" + urls.household(m[1], m[2])) for m in found]
    waiting = status.site == "正在发布" or status.forge == "正在推送"
    shown = {"households": households, "status": status, "refresh": 3 if waiting else None}
    return render_template("merged.html", user=user, sha=sha, **shown)


def _ancestor(git: Git, commit: str, main: str | None) -> bool:
    if main is None:
        return False
    return gitrun.run("-C", str(git.root), "merge-base", "--is-ancestor", commit, main, base=git.env).returncode == 0

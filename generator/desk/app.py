"""The desk's Flask application: every view asks who is logged in (nginx's header) and checks scope and role itself."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, abort, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect

from generator.access.reviewers import Reviewers, parse_reviewers
from generator.access.users import ACCESS_PATH, Access, load_access
from generator.desk import form as desk_form
from generator.desk import live
from generator.desk.drafts import Drafts
from generator.desk.flow import approve as approve_merge
from generator.desk.flow import flow, request_extras
from generator.desk.identity import USER_HEADER, User, identify
from generator.desk.plumbing import CLOSED, MAIN, Git, Person, PlumbingError, Request
from generator.desk.publishing import FORGE, Publisher
from generator.desk.reapply import three_way
from generator.desk.state import mark_of
from generator.desk.upload import allow_workbooks, upload
from generator.editing.new import MAX_SEQUENCE
from generator.editing.store import record_path
from generator.errors import BangfuError
from generator.history.review import review
from generator.records.dump import dump_record
from generator.records.load import parse_bytes
from generator.records.settings import SETTINGS
from generator.rules.regions import regions
from generator.validation.lifecycle import SURVEY

log = logging.getLogger("bangfu.desk")
REVIEWERS = f"{SETTINGS}/reviewers.yaml"
_NUMBER = re.compile(r"[1-9][0-9]{9}")
MAX_BODY = 256 * 1024
MAX_NOTE = 2000
LISTED = 200


@dataclass(frozen=True)
class Config:
    """Where the desk's archive is and how it signs: set by the administrator, never by a request."""

    root: Path  # the server's copy of the archive (a git repository the desk alone writes)
    key: Path  # the desk's private SSH signing key (its public key is in reviewers.yaml under 签名合并方)
    merger: str  # the desk's e-mail as a 签名合并方 in reviewers.yaml
    secret: bytes  # signs the CSRF session cookie
    https: bool = False  # the site is served over HTTPS: the session cookie is sent over HTTPS only
    site: Path | None = None  # the site folder `bangfu build` publishes into after each approval (none: not rebuilt)
    forge: str | None = None  # a remote main is pushed to after each approval (none: no forge)

    @classmethod
    def from_env(cls) -> Config:
        names = ("BANGFU_DESK_ROOT", "BANGFU_DESK_KEY", "BANGFU_DESK_MERGER", "BANGFU_DESK_SECRET_FILE")
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            raise BangfuError(f"编辑台缺少环境变量 {'、'.join(missing)}（由 bangfu desk unit 生成的 systemd 单元设置）。")
        # One secret for every gunicorn worker (a token made by one is checked by another), kept outside the archive.
        try:
            secret = Path(os.environ["BANGFU_DESK_SECRET_FILE"]).read_bytes().strip()
        except OSError as exc:
            raise BangfuError(f"无法读取编辑台的密钥文件 {os.environ['BANGFU_DESK_SECRET_FILE']}：{exc.strerror}。") from None
        if len(secret) < 16:
            raise BangfuError("编辑台的密钥文件太短（至少 16 字节的随机内容）。")
        return cls(
            Path(os.environ["BANGFU_DESK_ROOT"]),
            Path(os.environ["BANGFU_DESK_KEY"]),
            os.environ["BANGFU_DESK_MERGER"],
            secret,
            os.environ.get("BANGFU_DESK_HTTPS") == "1",
            Path(os.environ["BANGFU_DESK_SITE"]) if os.environ.get("BANGFU_DESK_SITE") else None,
            _forge(os.environ.get("BANGFU_DESK_FORGE") or None),
        )


class Settings:
    """access.yaml and reviewers.yaml as approved on main, read again whenever main moves."""

    def __init__(self, git: Git):
        self.git = git
        self._at: str | None = None
        self.access: Access | None = None
        self.reviewers: Reviewers | None = None

    def load(self) -> tuple[str, Access, Reviewers]:
        main = self.git.resolve(MAIN)
        if main is None:
            raise BangfuError("编辑台的档案库没有 main 分支。")
        if main != self._at:
            raw = self.git.blob(main, ACCESS_PATH)
            self.access = load_access(self.git.root, raw=raw) if raw is not None else None
            reviewers_raw = self.git.blob(main, REVIEWERS)
            self.reviewers = parse_reviewers(reviewers_raw) if reviewers_raw else Reviewers.empty("没有审核人名单")
            self._at = main
        if self.access is None:
            raise BangfuError("main 上没有访问授权文件（records/_settings/access.yaml）。")
        return main, self.access, self.reviewers


def create_app(config: Config | None = None) -> Flask:
    production = config is None  # under gunicorn: each worker reads main's numbers for the live check at once
    config = config or Config.from_env()
    if not log.handlers:  # every read and every refusal is kept with its user (gunicorn's error log: stderr → journal)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    app = Flask(__name__, static_url_path="/desk/static")
    app.config.update(
        SECRET_KEY=config.secret,
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        SESSION_COOKIE_PATH="/desk/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.https,
        SESSION_COOKIE_NAME="bangfu_desk",
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    app.before_request(allow_workbooks)  # before CSRFProtect's check reads the body
    CSRFProtect(app)
    git = Git(config.root)
    settings = Settings(git)
    checker = live.Checker(git, config.root)  # per process: main's identity numbers, kept by main's commit
    drafts = Drafts(git)
    live.register(app, checker, drafts, lambda user, number: _target(git, g.main, user, number))
    if production:
        checker.warm()
    publisher = Publisher(git, config.site, config.forge)
    app.extensions["bangfu_desk"] = SimpleNamespace(git=git, config=config, publisher=publisher)
    app.register_blueprint(flow)
    app.register_blueprint(upload)

    @app.before_request
    def who() -> None:
        g.main, access, g.reviewers = settings.load()
        g.user = identify(request.headers.get(USER_HEADER), access, g.reviewers)
        if g.user is None:
            log.warning(
                "desk refused: no known user (header %r) for %s %r",
                request.headers.get(USER_HEADER),
                request.method,
                request.path,
            )
            abort(403)

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("error.html", title="无权访问", text="您没有权限查看或修改这一页（不在您的范围或角色之内）。"), 403

    @app.errorhandler(404)
    def missing(_error):
        return render_template("error.html", title="没有找到", text="没有这一户或这个修改请求。"), 404

    @app.errorhandler(400)
    def bad(error):
        text = "请求无效：页面可能已过期（安全令牌无效），请刷新页面后再提交。" if "CSRF" in str(error) else "请求无效。"
        return render_template("error.html", title="请求无效", text=text), 400

    @app.errorhandler(BangfuError)
    def broken(error):
        log.error("desk cannot serve %s %r: %s", request.method, request.path, error)
        return render_template("error.html", title="编辑台暂时不能使用", text=f"{error}（请告知管理员。）"), 503

    @app.errorhandler(413)
    def too_large(_error):
        return render_template("error.html", title="内容太多", text="提交的内容超过了编辑台允许的大小。"), 413

    @app.get("/desk/")
    def index():
        user: User = g.user
        query = request.args.get("q", "").strip()[:50]
        found = [p for p in git.records(g.main) if user.may_edit(p.split("/")[1])]
        if query:
            by_number = [p for p in found if query in p.rsplit("/", 1)[1]]
            found = by_number if query.isdigit() and len(query) <= 10 and by_number else _matching(git, g.main, found, query)
            log.info("desk search: user=%s query=%r found=%d", user.login, query, len(found))
        requests = git.requests()
        mine = [r for r in requests if r.user == user.login]
        queue = [r for r in requests if user.may_review(r.county, g.reviewers)]
        table = regions()
        rows = [(p.rsplit("/", 1)[1].removesuffix(".yaml"), table.name(p.split("/")[1])) for p in found[:LISTED]]
        return render_template(
            "index.html",
            user=user,
            rows=rows,
            more=max(0, len(found) - LISTED),
            query=query,
            mine=mine,
            queue=queue,
            scopes=[f"{table.name(s)}（{s}）" for s in user.edit_scopes],
            counties=[(c, table.name(c)) for c in _counties(user)],
            # the desk's own redirects name what was done; a link from elsewhere puts no text of its own on the page
            submitted=_shown_if(request.args.get("submitted", ""), r"[1-9][0-9]{9}-[1-9][0-9]{0,5}"),
            merged=_shown_if(request.args.get("merged", ""), r"[0-9a-f]{12}"),
            marks={r.ref: (mark_of(git, r) or {}).get("kind", "") for r in [*mine, *queue]},
        )

    @app.route("/desk/h/<number>", methods=["GET", "POST"])
    def household(number: str):
        user: User = g.user
        path, data = _household(git, g.main, user, number)
        log.info("desk read: user=%s household=%s", user.login, number)
        return edit(user, number, path, data, url_for("household", number=number), f"编辑台：修改 {number}")

    @app.route("/desk/new/<county>", methods=["GET", "POST"])
    def new_household(county: str):
        """A new household in 调查中 with the next free 职工编号 of the county (as bangfu new), on main and in open requests."""
        user: User = g.user
        if not re.fullmatch(r"[1-9][0-9]{5}", county) or not regions().is_county(county):
            abort(404)
        if not user.may_edit(county):
            _deny(user, f"new household in {county}")
        # the number the form was opened with, or the user's unsubmitted new household here, else the next free one
        shown = request.form.get("number", "") if request.method == "POST" else ""
        drafted = drafts.numbers(user.login)
        number = next((n for n in [shown, *drafted] if n in drafted and _free(git, g.main, county, n)), "")
        if not number:
            try:
                number = _next_number(git, g.main, county)
            except BangfuError as exc:
                return render_template("error.html", title="不能新建", text=str(exc)), 409
        data = {"职工编号": number, "所属地区": county, "状态": SURVEY}
        return edit(
            user,
            number,
            record_path(county, number),
            data,
            url_for("new_household", county=county),
            f"编辑台：新建 {number}",
            fresh=True,
        )

    def edit(user: User, number: str, path: str, data: dict, action: str, subject: str, fresh: bool = False):
        new, message, note = data, "", ""
        if request.method == "POST":
            first, every = desk_form.from_items(request.form.items(multi=True))
            new = desk_form.apply(data, first, every)
            note = request.form.get("note", "")
        else:
            draft = drafts.load(user.login, number)
            new, message = _restored(git, draft, path, data, fresh)
            note = next((v for k, v in draft.items if k == "note"), "") if draft is not None and message else ""
        problems, trace = checker.check(path, new, g.main)
        errors = [p for p in problems if p.is_error]
        if request.method == "POST" and request.form.get("action") == "check" and new != data:
            try:  # without JavaScript, 检查 keeps the draft too
                typed = [i for i in request.form.items(multi=True) if i[0] not in ("csrf_token", "action")]
                drafts.save(user.login, number, g.main, typed)
            except ValueError as exc:
                message = str(exc)
        if request.method == "POST" and request.form.get("action") == "submit":
            note = request.form.get("note", "").strip()[:MAX_NOTE]
            if new == data:
                message = "没有任何修改，不能提交审核。"
            elif errors:
                message = f"还有 {len(errors)} 个错误，请改正后再提交审核。"
            elif not note:
                message = "请填写修改说明（为什么改、依据什么）。"
            elif fresh and git.blob(g.main, path) is not None:
                message = f"职工编号 {number} 刚被别人用了，请重新新建。"
            else:
                try:
                    made = git.submit(
                        user.login, number, path, dump_record(new).encode("utf-8"), user.person, f"{subject}\n\n{note}\n"
                    )
                except PlumbingError as exc:
                    message = str(exc)
                else:
                    for done in {number, request.form.get("number", "")} & set(drafts.numbers(user.login)):
                        drafts.delete(user.login, done)  # the draft is now the change request
                    log.info("desk submit: user=%s household=%s ref=%s", user.login, number, made.ref)
                    return redirect(url_for("index", submitted=made.ref.rsplit("/", 1)[1]), code=303)
        return render_template(
            "household.html",
            user=user,
            number=number,
            sections=desk_form.sections(),
            form=desk_form,
            by_field=live.messages(problems, new),
            problems=problems,
            trace=live.trace_lines(trace),
            conclusion=trace.conclusion() if trace is not None else "",
            message=message,
            county=regions().name(number[:6]),
            changed=new != data,
            action=action,
            fresh=fresh,
            new=new,
            data=data,
            drafted=number in drafts.numbers(user.login),
            note=note[:MAX_NOTE],
        )

    @app.get("/desk/r/<login>/<name>")
    def change_request(login: str, name: str):
        user: User = g.user
        found = _request(git, login, name)
        if not user.may_review(found.county, g.reviewers) and found.user != user.login:
            _deny(user, f"request {found.ref}")
        summary = review(config.root, f"{g.main}..{found.head}")
        log.info("desk read: user=%s request=%s", user.login, found.ref)
        refusal = _refusal(git, user, found, g.main, g.reviewers)
        return render_template(
            "request.html",
            user=user,
            req=found,
            summary=summary,
            may_approve=refusal is None,
            refusal=refusal,
            **request_extras(git, user, found),
        )

    @app.post("/desk/r/<login>/<name>/approve")
    def approve(login: str, name: str):
        user, found = _judged(git, login, name, "approve")
        merger = g.reviewers.merger(config.merger)
        if merger is None:
            return render_template(
                "error.html", title="不能合并", text="审核人名单中没有登记本编辑台（签名合并方），编辑台不能签名合并。"
            ), 409
        try:
            merged, refusal = approve_merge(git, found, user, Person(merger.name, merger.email), config.key, publisher)
        except PlumbingError as exc:
            return render_template("error.html", title="不能合并", text=str(exc)), 409
        if merged is None:
            return render_template("error.html", title="未合并", text=refusal), 409
        log.info("desk approve: user=%s request=%s merge=%s", user.login, found.ref, merged)
        return redirect(url_for("flow.merged", sha=merged), code=303)

    @app.post("/desk/r/<login>/<name>/return")
    def give_back(login: str, name: str):
        user, found = _judged(git, login, name, "return")
        reason = request.form.get("reason", "").strip()[:MAX_NOTE]
        kind = "退回修改" if request.form.get("kind") != "reject" else "不予通过"
        if not reason:
            return render_template("error.html", title="请填写理由", text=f"{kind}必须写明理由。"), 400
        try:
            git.close(found, user.person, f"编辑台：{kind} {found.number}\n\n{reason}\n")
        except PlumbingError as exc:
            return render_template("error.html", title="不能办理", text=str(exc)), 409
        log.info("desk %s: user=%s request=%s", kind, user.login, found.ref)
        return redirect(url_for("index"), code=303)

    return app


def _forge(value: str | None) -> str | None:
    if value is not None and not FORGE.fullmatch(value):
        raise BangfuError(f"BANGFU_DESK_FORGE 应为远程仓库的地址或绝对路径，而不是“{value!r}”。")
    return value


def _shown_if(value: str, pattern: str) -> str:
    return value if re.fullmatch(pattern, value) else ""


def _counties(user: User) -> list[str]:
    """The counties a user may create households in (the counties of their editing scopes), at most a province's."""
    table = regions()
    return sorted({c for scope in user.edit_scopes for c in table.counties(scope)})


def _next_number(git: Git, main: str, county: str) -> str:
    """One more than the highest sequence of the county on main and in every open or closed desk request."""
    used = {p.rsplit("/", 1)[1].removesuffix(".yaml") for p in git.records(main) if p.split("/")[1] == county}
    used |= {r.number for r in [*git.requests(), *git.requests(CLOSED)] if r.county == county}
    sequences = [int(n[6:]) for n in used if n.startswith(county)]
    following = max(sequences, default=0) + 1
    if following > MAX_SEQUENCE:
        raise BangfuError(f"地区 {county} 的职工编号已用到 {county}{MAX_SEQUENCE}，没有可用的顺序号。")
    return f"{county}{following:04d}"


def _deny(user: User, what: str):
    log.warning("desk denied: user=%s %s %r %s", user.login, request.method, request.path, what)
    abort(403)


def _household(git: Git, main: str, user: User, number: str) -> tuple[str, dict]:
    """The household's path and data at main, after the scope check (403 and logged outside the user's scope)."""
    path, data, new = _target(git, main, user, number)
    if new:
        abort(404)
    return path, data


def _request(git: Git, login: str, name: str) -> Request:
    found = git.request(f"refs/heads/desk/{login}/{name}")
    if found is None:
        abort(404)
    return found


def _judged(git: Git, login: str, name: str, what: str) -> tuple[User, Request]:
    """(the reviewer, the request) when the logged-in user may decide on it; else 403 and logged."""
    found = _request(git, login, name)
    refusal = _refusal(git, g.user, found, g.main, g.reviewers)
    if refusal:
        _deny(g.user, f"{what} {found.ref}: {refusal}")
    return g.user, found


def _refusal(git: Git, user: User, found: Request, main: str, reviewers: Reviewers) -> str | None:
    """Why this user may not approve this request (the rules of bangfu audit), or None."""
    if not user.may_review(found.county, reviewers):
        return "您不是这个县的审核人。"
    if found.user == user.login:
        return "不能审批自己提交的修改（自审自批）。"
    authors = git.run("log", "--format=%ae%n%ce", f"{main}..{found.head}").lower().split()
    if user.email.lower() in authors:
        return "您参与了这个修改请求的提交，不能审批它（自审自批）。"
    for path in git.changed(main, found.head):
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "records" or not user.may_review(parts[1], reviewers):
            return f"修改请求改动了 {path}，不在您可以审批的范围内。"
    return None


def _matching(git: Git, main: str, paths: list[str], query: str) -> list[str]:
    """Households whose 职工编号 or 身份证号 is the query, or whose 姓名 contains it."""
    out = []
    for path, raw in git.blobs(main, paths).items():
        record, _ = parse_bytes(raw, path)
        if record is None:
            continue
        data = record.data
        if query in path.rsplit("/", 1)[1] or query == str(data.get("身份证号", "")) or query in str(data.get("姓名", "")):
            out.append(path)
    return out


def _free(git: Git, main: str, county: str, number: str) -> bool:
    """A number of this county that no household on main and no desk request (open or closed) has."""
    if not _NUMBER.fullmatch(number) or number[:6] != county or git.blob(main, record_path(county, number)) is not None:
        return False
    return all(r.number != number for r in [*git.requests(), *git.requests(CLOSED)])


def _target(git: Git, main: str, user: User, number: str) -> tuple[str, dict, bool]:
    """(path, record on main, False) for a household in the user's scope, or (path, a new record, True) for a free
    number of one of the user's counties; 403 (logged) outside the scope, 404 for anything else."""
    if not _NUMBER.fullmatch(number):
        abort(404)
    county = number[:6]
    if not user.may_edit(county):
        _deny(user, f"household {number}")
    path = record_path(county, number)
    raw = git.blob(main, path)  # one git process: the live check runs on every pause in typing
    if raw is not None:
        record, _ = parse_bytes(raw, path)
        if record is None or record.data.get("所属地区") != county:
            abort(404)
        return path, record.data, False
    if not regions().is_county(county):
        abort(404)
    return path, {"职工编号": number, "所属地区": county, "状态": SURVEY}, True


def _restored(git: Git, draft, path: str, data: dict, fresh: bool) -> tuple[dict, str]:
    """The record with the user's draft applied (on main as it is now: fields changed on main meanwhile are kept
    unless the draft changed them too, which is said), and the message; the record itself when there is no draft."""
    if draft is None or (not fresh and any(name == "number" for name, _ in draft.items)):
        return data, ""  # none, or a new household's draft whose number someone else has taken meanwhile
    base = data
    if draft.base and not fresh:
        raw = git.blob(draft.base, path)
        record, _ = parse_bytes(raw, path) if raw is not None else (None, [])
        base = record.data if record is not None else data
    first, every = desk_form.from_items(draft.items)
    drafted = desk_form.apply(base, first, every)
    message = f"已恢复您 {draft.saved.replace('T', ' ')[:16]}（UTC）保存的草稿，尚未提交审核。"
    if base is data:
        return drafted, message
    merged, clashes = three_way(base, data, drafted, path)
    for clash in clashes:
        if clash.request is None:
            merged.pop(clash.field, None)
        else:
            merged[clash.field] = clash.request
    if clashes:
        message += "以下字段在此期间已被别人修改，草稿中的值覆盖了它们，请核对：" + "；".join(
            f"{c.field}（main 上为“{desk_form.shown(c.main)}”）" for c in clashes
        )
    return merged, message

"""A workbook in the national system's layout (as `bangfu import-xlsx` reads it) turned into one change request.

The editor uploads the file; the desk reads it in memory (openpyxl read-only, cached values: a formula is never
evaluated), refuses every row outside the editor's scope by its row, checks the households as main would hold them
(the CLI's record checks and 一人一档, each problem at its cell) and shows the field-level diff. The prepared
records wait on the server under a random name tied to the user; confirming commits them, on the main the diff
was made against, as one request by the editor. The client never names a file on the server.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import time
import zipfile

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from generator.desk.combined import check_files
from generator.desk.flow import deny, desk
from generator.desk.identity import User
from generator.desk.plumbing import MAIN, RECORD, Git, PlumbingError
from generator.desk.state import read_json, state_dir, write_json
from generator.editing.store import record_path
from generator.editing.xlsx.columns import KEY
from generator.editing.xlsx.read import read_workbook
from generator.errors import RecordError
from generator.records.dump import dump_record
from generator.records.load import parse_bytes
from generator.records.schema import title
from generator.rules.regions import regions

log = logging.getLogger("bangfu.desk")
upload = Blueprint("upload", __name__)
MAX_WORKBOOK = 8 * 1024 * 1024  # a county's workbook is well under 2 MiB
MAX_UNPACKED = 64 * 1024 * 1024  # a small file that unpacks to gigabytes is refused before openpyxl opens it
MAX_HOUSEHOLDS = 3000
KEEP_SECONDS = 8 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
_NUMBER = re.compile(r"[1-9][0-9]{9}")


def allow_workbooks() -> None:
    """Before the CSRF check reads the body: the upload alone may be larger than an ordinary form."""
    if request.endpoint == "upload.preview" and request.method == "POST":
        request.max_content_length = MAX_WORKBOOK + 64 * 1024


def _editor() -> User:
    user: User = g.user
    if not user.edit_scopes:
        deny(user, "upload without an editing scope")
    return user


@upload.get("/desk/upload")
def form():
    return render_template("upload.html", user=_editor(), result=None)


@upload.post("/desk/upload")
def preview():
    user = _editor()
    git: Git = desk().git
    sent = request.files.get("workbook")
    if sent is None or not sent.filename:
        return _page(user, message="请选择要上传的 .xlsx 表格。"), 400
    shown = _shown_name(sent.filename)
    data = sent.stream.read(MAX_WORKBOOK + 1)
    if len(data) > MAX_WORKBOOK:
        return _page(user, message=f"表格 {shown} 超过 {MAX_WORKBOOK // 1024 // 1024} MiB，请按县分开上传。"), 413
    refusal = _unpacked_too_large(data)
    if refusal:
        return _page(user, message=refusal.format(shown=shown)), 400
    try:
        households, problems = read_workbook(io.BytesIO(data), shown)
    except RecordError as exc:
        return _page(user, message=exc.message), 400
    if len(households) > MAX_HOUSEHOLDS:
        return _page(user, message=f"表格 {shown} 有 {len(households)} 户，一次最多 {MAX_HOUSEHOLDS} 户。"), 400
    main = git.resolve(MAIN)
    refused, files, places, rows = [], {}, {}, []
    table = regions()
    for household in households:
        number = household.data.get(KEY)
        sheet, row, _, _ = household.places.get(f"/{KEY}", household.anchors.get("", ("", 0, None, "")))
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            continue  # the reader already named the row
        county = _county(household.data, number)
        if not user.may_edit(county):
            where = f"工作表「{sheet}」第 {row} 行（{KEY} {number}，{table.name(county) or county}）"
            refused.append(f"{where}不在您的修改范围内，未导入。")
            continue
        path = record_path(county, number)
        old = _data(git, main, path)
        if old == household.data or path in files:
            continue
        files[path] = dump_record(household.data).encode("utf-8")
        places[path] = household
        rows.append((number, table.name(county), old is None, _diff(old or {}, household.data)))
    if refused:
        log.warning("desk upload refused rows: user=%s file=%r rows=%d", user.login, shown, len(refused))
    found = [places[p.path].locate(shown, p) if p.path in places else p for p in check_files(git, main, files)]
    problems += found
    errors = [p.to_text() for p in problems if p.is_error]
    warnings = [p.to_text() for p in problems if not p.is_error]
    token = ""
    if files and not errors:
        token = secrets.token_urlsafe(16)
        kept = {"main": main, "file": shown, "files": {p: c.decode("utf-8") for p, c in files.items()}, "at": time.time()}
        write_json(_held(git, user, token), kept)
    log.info("desk upload: user=%s file=%r households=%d errors=%d", user.login, shown, len(files), len(errors))
    result = {"file": shown, "rows": rows, "refused": refused, "errors": errors, "warnings": warnings, "token": token}
    return _page(user, result=result)


@upload.post("/desk/upload/confirm")
def confirm():
    """The prepared records as one change request by the editor, checked again and in scope again."""
    user = _editor()
    git: Git = desk().git
    token = request.form.get("token", "")
    note = request.form.get("note", "").strip()[:2000]
    if not _TOKEN.fullmatch(token):
        abort(404)
    held = _held(git, user, token)
    kept = read_json(held)
    if kept is None or time.time() - float(kept.get("at", 0)) > KEEP_SECONDS:
        return _page(user, message="这次上传已过期或已提交，请重新上传表格。"), 409
    files = {p: c.encode("utf-8") for p, c in kept["files"].items() if RECORD.fullmatch(p)}
    if len(files) != len(kept["files"]) or not files:
        abort(404)
    for path in files:
        if not user.may_edit(path.split("/")[1]):
            deny(user, f"upload of {path}")
    if not note:
        return _page(user, message="请填写修改说明（为什么改、依据什么）后再提交审核。", again=token), 400
    errors = [p.to_text() for p in check_files(git, kept["main"], files) if p.is_error]
    if errors:
        return _page(user, message="表格中的档案有错误，未提交：" + "；".join(errors)), 409
    first = RECORD.fullmatch(sorted(files)[0])[2]
    message = f"编辑台：按表格 {kept['file']} 修改 {len(files)} 户\n\n{note}\n"
    try:
        made = git.submit_files(user.login, first, files, user.person, message, base=kept["main"])
    except PlumbingError as exc:
        return _page(user, message=str(exc)), 409
    held.unlink(missing_ok=True)
    log.info("desk upload submit: user=%s households=%d ref=%s", user.login, len(files), made.ref)
    return redirect(url_for("change_request", login=made.user, name=f"{made.number}-{made.serial}"), code=303)


def _page(user: User, result: dict | None = None, message: str = "", again: str = ""):
    return render_template("upload.html", user=user, result=result, message=message, again=again)


def _held(git: Git, user: User, token: str):
    """Where a prepared upload waits: under the user's own name, so a token alone opens nobody else's."""
    folder = state_dir(git) / "uploads" / user.login
    for old in folder.glob("*.json") if folder.is_dir() else []:
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    return folder / f"{token}.json"


def _shown_name(name: str) -> str:
    """The file's own name for messages only (never used as a path): no folders, no control characters, short."""
    base = re.split(r"[\\/]", name)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:80] or "表格"


def _unpacked_too_large(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            size = sum(item.file_size for item in book.infolist())
    except (zipfile.BadZipFile, ValueError):
        return "无法读取表格 {shown}：不是有效的 .xlsx 文件。请用 Excel 或 WPS 另存为 .xlsx 后再上传。"
    if size > MAX_UNPACKED:
        return f"表格 {{shown}} 解压后超过 {MAX_UNPACKED // 1024 // 1024} MiB，不能导入。"
    return None


def _county(data: dict, number: str) -> str:
    region = data.get("所属地区")
    return region if isinstance(region, str) and regions().is_county(region) else number[:6]


def _data(git: Git, main: str, path: str) -> dict | None:
    raw = git.blob(main, path)
    record = parse_bytes(raw, path)[0] if raw is not None else None
    return record.data if record is not None else None


def _diff(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(field title, old, new) for each top-level field that differs; lists and groups shown compactly."""
    out = []
    for key in dict.fromkeys([*old, *new]):
        if old.get(key) != new.get(key):
            out.append((title(key) or key, _shown(old.get(key)), _shown(new.get(key))))
    return out


def _shown(value) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)[:300]
    return str(value)

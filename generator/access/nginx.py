"""The nginx configuration that serves a built site with per-scope, per-role access control (plain nginx, no njs)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from generator.access.csp import REPORT, Csp, content_security_policy, scan
from generator.access.privacy import AREAS
from generator.access.users import HANDBOOK, INDEX, Access, load_access
from generator.errors import Problem, RecordError, UsageError
from generator.records.files import atomic_file
from generator.records.schema import join_pointer

BASIC, SSO = "basic", "sso"
DENIED = "/.bangfu-denied"  # gate prefix that never exists on disk: try_files then falls through to the refusal
ERROR_PAGES = (401, 403, 404)
NONE = "none"  # parts of /h/, /s/, /f/ that URL_AREAS does not name: nobody reads them
_PLACEHOLDERS = {
    "<county>": "(?<bangfu_c>[1-9][0-9]{5})",
    "<scope>": "(?<bangfu_c>[1-9][0-9](?:[0-9]{2}){0,2})",
    "<职工编号>": "[0-9]{10}",
}
TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json",
    "application/xml": "xml",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/x-icon": "ico",
    "font/woff": "woff",
    "font/woff2": "woff2",
    "font/ttf": "ttf",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/gzip": "gz",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# The only parts of access.yaml that reach the configuration, each as a regex literal inside a quoted map key.
# schema/access.schema.json says the same, but the configuration does not rely on the schema alone: anything
# else (a newline, a quote, a brace) could end the string or the directive. Names and titles (姓名, 说明) are
# free text and never written at all.
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_GROUP_NAME = re.compile(r"[A-Za-z0-9/][A-Za-z0-9._@:/+-]{0,199}")
_SCOPE = re.compile(r"[1-9][0-9](?:[0-9]{2}){0,2}")
_AREA = re.compile(r"[a-z]{1,20}")
# Basic authentication: wrong logins are tried at the rate nginx answers (395 a second in a test); every request
# of one client address counts. A page with its styles, scripts and data is about 15 requests.
RATE_LIMIT = 10  # requests per second per client address
BURST = 40
_TOO_MANY = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请求太频繁</title></head>'
    "<body><h1>请求太频繁</h1><p>本机在短时间内发出的请求太多（例如多次输错密码），请稍等一分钟再试。</p></body></html>"
)


@dataclass
class DeployOptions:
    """What `bangfu deploy-config` was asked for."""

    site: Path
    out: Path
    root: Path
    auth: str = BASIC
    htpasswd: Path | None = None
    auth_url: str | None = None
    listen: str = "127.0.0.1:8080"
    server_name: str = "_"
    access_log: Path = Path("/var/log/nginx/bangfu-access.log")
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_plain_http: bool = False  # basic authentication without TLS on a non-loopback address
    rate_limit: int = RATE_LIMIT
    desk_socket: Path | None = None  # the desk's gunicorn socket: /desk/ is passed there (bangfu desk, docs/desk.md)


@dataclass
class DeployReport:
    """What was written and what the administrator should know."""

    out: Path
    users: int
    groups: int
    script_hashes: list[str]
    style_hashes: list[str]
    warnings: list[str] = field(default_factory=list)


def deploy_config(options: DeployOptions) -> DeployReport:
    """Check the options, read the access file and the built site, write the nginx configuration."""
    site = options.site.resolve()
    _check(options, site)
    access = load_access(options.root)
    warnings = []
    if access.example:
        warnings.append(f"{access.path} 标有“示例数据: 是”：其中的账号是虚构的演示账号，正式部署前请换成真实账号。")
    csp = scan(site, warnings, options.root)
    text = render(options, site, access, csp)
    out = options.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as fh:
        fh.write(text.encode("utf-8"))
    return DeployReport(out, len(access.users), len(access.groups), csp.scripts, csp.styles, warnings)


def _check(options: DeployOptions, site: Path) -> None:
    problems = []

    def bad(message: str) -> None:
        problems.append(Problem("deploy-config", None, "", "", "deploy-option", message))

    if not (site / "index.html").is_file():
        bad(f"站点目录 {options.site} 中没有 index.html：请先运行 bangfu build 生成站点。")
    elif (site / DENIED.lstrip("/")).exists():
        bad(f"站点目录中不应有 {DENIED}（它是访问控制用的保留名）。")
    if options.auth == BASIC:
        if options.htpasswd is None:
            bad("基本认证（--auth basic）需要 --htpasswd 指定密码文件（放在档案库和站点目录之外，如 /etc/bangfu/htpasswd）。")
        else:
            path = options.htpasswd
            if not path.is_absolute():
                bad(f"--htpasswd 应为绝对路径（nginx 从自己的目录解析相对路径），而不是 {path}。")
            for inside, what in ((options.root, "档案库（git 仓库）"), (site, "站点目录")):
                if _under(path, inside):
                    bad(f"密码文件 {path} 在{what}之内：密码不能进 git，也不能被网站读出，请放到 /etc/bangfu/ 等目录。")
    elif options.auth == SSO:
        parts = urlsplit(options.auth_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            bad("单点登录（--auth sso）需要 --auth-url，例如 http://127.0.0.1:4180/oauth2/auth（oauth2-proxy 的认证地址）。")
    else:
        bad(f"--auth 只能是 basic 或 sso，而不是“{options.auth}”。")
    if (options.tls_cert is None) != (options.tls_key is None):
        bad("--tls-cert 和 --tls-key 要一起给出。")
    if not re.fullmatch(r"(?:\[[0-9a-fA-F:]+\]|[0-9.]+|[A-Za-z0-9.-]+)?:?[0-9]{1,5}", options.listen):
        bad(f"--listen 应为 地址:端口 或 端口，例如 127.0.0.1:8080，而不是“{options.listen}”。")
    elif options.auth == BASIC and options.tls_cert is None and not options.allow_plain_http and not _loopback(options.listen):
        bad(
            f"--listen {options.listen} 不只是本机地址，而基本认证没有 HTTPS 时密码几乎是明文（Base64）在网上传：请给出 "
            "--tls-cert 和 --tls-key；若 HTTPS 由前面的代理终止、本机到代理的网络可信，再加 --allow-plain-http。"
        )
    if not re.fullmatch(r"[A-Za-z0-9.*_-]+(?: [A-Za-z0-9.*_-]+)*", options.server_name):
        bad(f"--server-name 应为域名（可多个，以空格分隔），而不是“{options.server_name}”。")
    if not 1 <= options.rate_limit <= 100000:
        bad(f"--rate-limit 应为 1 到 100000 之间的整数（每个地址每秒的请求数），而不是 {options.rate_limit}。")
    # These end up inside the nginx configuration, where $ starts a variable and ; " { } end a directive.
    for name, value in (
        ("--site", options.site),
        ("--htpasswd", options.htpasswd),
        ("--access-log", options.access_log),
        ("--tls-cert", options.tls_cert),
        ("--tls-key", options.tls_key),
        ("--auth-url", options.auth_url),
    ):
        if value is not None and re.search(r"[\s$;\"'{}\\#\x00-\x1f\x7f-\x9f]", str(value if name != "--site" else site)):
            bad(f"{name} 中不能有空白、控制字符或 $ ; \" ' {{ }} \\ # 这些字符（nginx 会另作解释）：{value}")
    if options.desk_socket is not None and not re.fullmatch(r"/[A-Za-z0-9._/-]+\.sock", str(options.desk_socket)):
        bad(
            "--desk-socket 应为编辑台套接字的绝对路径（只含字母、数字和 . _ - /，以 .sock 结尾），"
            f"而不是“{options.desk_socket}”。"
        )
    if problems:
        raise UsageError("无法生成 nginx 配置。", problems)


def _loopback(listen: str) -> bool:
    """True when nginx would listen on this machine only (a bare port listens on every address)."""
    host = listen.rpartition(":")[0].strip("[]") if ":" in listen else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public_host(options: DeployOptions) -> str | None:
    """The one configured server name, if there is one (never the client's Host header)."""
    name = options.server_name  # "_", several names or a wildcard name no single host
    return name if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", name) else None


def check_access(access: Access) -> None:
    """Refuse any user name, group name, scope or area that is not plain enough to be written into the configuration."""
    problems = []

    def bad(where: list[str], message: str) -> None:
        problems.append(Problem(access.path, None, join_pointer(where), ".".join(where), "access-unsafe", message))

    for kind, principals, pattern in (("用户", access.users, _USER_NAME), ("组", access.groups, _GROUP_NAME)):
        for principal in principals.values():
            where = [kind, _spelled(principal.name)]
            if not pattern.fullmatch(principal.name):
                bad(where, f"{kind}名“{_spelled(principal.name)}”含有不允许的字符，不能写入 nginx 配置。")
            for name in principal.groups:
                if not _GROUP_NAME.fullmatch(name):
                    bad([*where, "组"], f"组名“{_spelled(name)}”含有不允许的字符，不能写入 nginx 配置。")
            for grant in principal.grants:
                if not _SCOPE.fullmatch(grant.scope):
                    bad([*where, "授权"], f"范围“{_spelled(grant.scope)}”不是行政区划代码，不能写入 nginx 配置。")
                for area in sorted(grant.areas):
                    if area not in AREAS or not _AREA.fullmatch(area):
                        bad([*where, "授权"], f"区域“{_spelled(area)}”不是站点的区域，不能写入 nginx 配置。")
    if problems:
        raise RecordError("访问授权文件中有不能写入 nginx 配置的内容。", problems)


def _spelled(text: str) -> str:
    """Text as an administrator should see it: invisible characters spelled out (a newline as \\u000a)."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def locations() -> list[tuple[str, str]]:
    """(nginx regex, area) for every part of generator.access.urls.URL_AREAS, most specific first."""
    from generator.access.urls import URL_AREAS  # the site package pulls in mkdocs; only deploy-config needs it

    out = []
    for pattern, area in sorted(URL_AREAS, key=lambda item: -len(item[0])):
        if pattern.count("<county>") + pattern.count("<scope>") != 1:
            raise ValueError(f"URL pattern {pattern!r} must hold exactly one region code")
        regex = pattern.replace(".", "\\.")
        for placeholder, part in _PLACEHOLDERS.items():
            regex = regex.replace(placeholder, part)
        if area is None:
            out.append((f"^{regex}(?:index\\.html)?$", INDEX))
        elif pattern.endswith("/"):
            out.append((f"^{regex}", area))
        else:
            out.append((f"^{regex}$", area))
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _regex_literal(name: str) -> str:
    return re.sub(r"([.+@/:-])", r"\\\1", name)


def gate_map(access: Access, auth: str) -> list[str]:
    """Map entries key → "" (allowed); the key is "area:code|user|,groups," (groups only with single sign-on)."""
    bar = "\\|"
    lines = []
    for user in access.users.values():
        if user.disabled:
            lines.append(f"    # {user.name} 已停用：什么也不能读，组授权也不算")
            lines.append(f"    {_quote('~^[^|]*' + bar + _regex_literal(user.name) + bar)} {_quote(DENIED)};")
    for user in access.users.values():
        if not user.disabled:
            lines.append(f"    # 用户 {user.name}")
            lines += _entries(access.grants_of_user(user.name), bar + _regex_literal(user.name) + bar)
    if auth == SSO:
        for group in access.groups.values():
            lines.append(f"    # 组 {group.name}")
            lines += _entries(group.grants, bar + "[^|]*" + bar + ".*," + _regex_literal(group.name) + ",")
    return lines


def _entries(grants, who: str) -> list[str]:
    if not grants:
        return []
    by_scope: dict[str, set[str]] = {}
    for grant in grants:
        by_scope.setdefault(grant.scope, set()).update(grant.areas)
    lines = [f'    {_quote("~^" + HANDBOOK + ":" + who)} "";']
    for scope, areas in sorted(by_scope.items()):
        pattern = f"~^(?:{'|'.join(sorted(areas | {INDEX}))}):{scope}[0-9]*" + who
        lines.append(f'    {_quote(pattern)} "";')
    return lines


def render(options: DeployOptions, site: Path, access: Access, csp: Csp) -> str:
    """The configuration text (http context: include it from /etc/nginx/conf.d/)."""
    check_access(access)
    sso = options.auth == SSO
    key = "$bangfu_area:$bangfu_code|$bangfu_user|" + (",$bangfu_groups," if sso else "")
    out = [
        "# 由 bangfu deploy-config 生成，请勿手改：改授权请改 records/_settings/access.yaml 后重新生成。",
        "# 认证方式："
        + ("单点登录（auth_request，oauth2-proxy）" if sso else "基本认证（htpasswd，文件在仓库之外）")
        + f"；站点：{site}",
        "# 放在 http 上下文中，例如 /etc/nginx/conf.d/bangfu.conf；然后 nginx -t && systemctl reload nginx。",
        "",
        "log_format bangfu_access '$remote_addr - $bangfu_user [$time_iso8601] \"$request\" $status $body_bytes_sent '",
        '                         \'"$http_user_agent"' + (' groups="$bangfu_groups"' if sso else "") + "';",
        "",
        "# Only plain user and group names reach the gate: a name with | or , could forge the key below.",
    ]
    if sso:
        out += [
            "map $bangfu_sso_user $bangfu_user {",
            '    "~^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$" $bangfu_sso_user;',
            '    default "-";',
            "}",
            "map $bangfu_sso_groups $bangfu_groups {",
            '    "~^[A-Za-z0-9/][A-Za-z0-9._@:/+-]*(?:,[A-Za-z0-9/][A-Za-z0-9._@:/+-]*)*$" $bangfu_sso_groups;',
            '    default "";',
            "}",
            "# After signing in, back to the page asked for: only a plain path of this site (never //host, \\, % or a",
            "# query), so the redirect can neither leave the site nor add parameters or headers.",
            "map $request_uri $bangfu_return_to {",
            '    "~^(?<bangfu_return_path>/(?:[A-Za-z0-9._~-][A-Za-z0-9/._~-]*)?)(?:\\?|$)" $bangfu_return_path;',
            "    default /;",
            "}",
        ]
    else:
        out += [
            "map $remote_user $bangfu_user {",
            '    "~^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$" $remote_user;',
            '    default "-";',
            "}",
            "# Guessing logins: every client address gets a bucket of requests (429 and a Chinese page beyond it).",
            f"limit_req_zone $binary_remote_addr zone=bangfu_auth:10m rate={options.rate_limit}r/s;",
        ]
    out += [
        "",
        '# The gate: "" when the user (or one of their groups) holds a role granting this area in a scope that is a',
        "# prefix of the region code in the URL (GB/T 2260 codes nest by prefix), else a path that never exists.",
        "# Household, list and finance pages are never kept in any cache; the handbook may be revalidated.",
        "# Reading only: GET and HEAD, and the browser's POST of a policy violation report.",
        'map "$request_method $uri" $bangfu_method_ok {',
        '    "~^(?:GET|HEAD) " 1;',
        f'    "POST {REPORT}" 1;',
        *(['    "~^POST /desk/" 1;'] if options.desk_socket is not None else []),
        "    default 0;",
        "}",
        "map $bangfu_area $bangfu_cache {",
        f'    {HANDBOOK} "private, no-cache";',
        "    default no-store;",
        "}",
        "",
        f'map "{key}" $bangfu_gate {{',
        f"    default {_quote(DENIED)};",
        *gate_map(access, options.auth),
        "}",
        "",
        *_server(options, site, csp),
    ]
    return "\n".join(out) + "\n"


def _headers(options: DeployOptions, csp: Csp) -> list[str]:
    """Server-level headers; no location adds its own, so none of these is ever dropped (nginx does not merge)."""
    extra = []
    if options.tls_cert is not None:
        extra.append('add_header Strict-Transport-Security "max-age=31536000" always;')
    if options.auth == SSO:
        extra.append("add_header Set-Cookie $bangfu_auth_cookie;")
    return [
        f"add_header Content-Security-Policy {_quote(content_security_policy(csp))} always;",
        'add_header X-Robots-Tag "noindex, nofollow, noarchive" always;',
        "add_header X-Content-Type-Options nosniff always;",
        "add_header Referrer-Policy no-referrer always;",
        "add_header X-Frame-Options DENY always;",
        "add_header Cache-Control $bangfu_cache always;",
        *extra,
    ]


def _server(options: DeployOptions, site: Path, csp: Csp) -> list[str]:
    sso = options.auth == SSO
    tls = options.tls_cert is not None
    ind = "    "
    body = [
        f"listen {options.listen}{' ssl' if tls else ''};",
        f"server_name {options.server_name};",
        f"root {_quote(str(site))};",
        "server_tokens off;",
        "autoindex off;",
        "index index.html;",
        "charset utf-8;",
        "charset_types text/css text/plain text/csv application/javascript application/json application/xml image/svg+xml;",
        "types {",
        *[f"    {mime} {exts};" for mime, exts in TYPES.items()],
        "}",
        "default_type application/octet-stream;",
        f"access_log {_quote(str(options.access_log))} bangfu_access;",
        "if ($bangfu_method_ok = 0) { return 405; }",
        "# Redirects (a folder without its slash, signing in) stay relative: nothing is built from the client's Host.",
        "absolute_redirect off;",
    ]
    if tls:
        body += [
            f"ssl_certificate {_quote(str(options.tls_cert))};",
            f"ssl_certificate_key {_quote(str(options.tls_key))};",
            "ssl_protocols TLSv1.2 TLSv1.3;",
        ]
    if sso:
        body += [
            "auth_request /_bangfu/auth;",
            "auth_request_set $bangfu_sso_user $upstream_http_x_auth_request_user;",
            "auth_request_set $bangfu_sso_groups $upstream_http_x_auth_request_groups;",
            "auth_request_set $bangfu_auth_cookie $upstream_http_set_cookie;",
            "error_page 401 = @bangfu_sign_in;",
        ]
    else:
        body += [
            'auth_basic "bangfu";',
            f"auth_basic_user_file {_quote(str(options.htpasswd))};",
            "error_page 401 /errors/401.html;",
            f"limit_req zone=bangfu_auth burst={BURST} nodelay;",
            "limit_req_status 429;",
            "error_page 429 @bangfu_too_many;",
        ]
    body += _headers(options, csp)
    body += ["error_page 403 /errors/403.html;", "error_page 404 /errors/404.html;", "error_page 405 /errors/404.html;", ""]
    body += [
        "# Dotfiles (and the gate's never-existing prefix) are never served.",
        "location ~ /\\. {",
        f"{ind}return 404;",
        "}",
        "# Source maps (mkdocs' *.js.map) would hand out the scripts' sources: never served.",
        "location ~ \\.map$ {",
        f"{ind}return 404;",
        "}",
        "# A violation report says which page broke the policy; it is logged (as a POST) and answered with nothing,",
        "# to signed-in readers only: return would answer before the access phase, try_files runs after it.",
        f"location = {REPORT} {{",
        f"{ind}client_max_body_size 64k;",
        f"{ind}set $bangfu_area errors;",
        f"{ind}try_files {DENIED} @bangfu_report;",
        "}",
        "location @bangfu_report {",
        f"{ind}client_max_body_size 64k;",
        f"{ind}return 204;",
        "}",
        "# The error pages say nothing about any household; anyone may read them.",
        f'location ~ "^/errors/(?:{"|".join(map(str, ERROR_PAGES))})\\.html$" {{',
        f"{ind}{'auth_request off' if sso else 'auth_basic off'};",
        f"{ind}set $bangfu_area errors;",
        "}",
    ]
    body += _sign_on(options) if sso else _too_many()
    body += _desk(options) if options.desk_socket is not None else []
    body += ["# After authentication (try_files runs after the access phase) the gate lets the file through or not."]
    for pattern, area in locations():
        body += _gated(f"~ {_quote(pattern)}", area, "$bangfu_c")
    body += _gated(f"~ {_quote('^/[hsf](?:/|$)')}", NONE, "")
    body += _gated("/", HANDBOOK, "")
    body += ["location @bangfu_refuse {", f"{ind}if ($bangfu_gate) {{ return 403; }}", f"{ind}return 404;", "}"]
    return ["server {", *[(ind + line if line else line) for line in body], "}"]


DESK_USER_HEADER = "X-Bangfu-Desk-User"  # generator/desk/identity.py reads it; only nginx sets it


def _desk(options: DeployOptions) -> list[str]:
    """/desk/: after the same login as the site, to the desk's unix socket with the user in a header nginx sets.

    proxy_set_header replaces any copy of the header the client sent; nginx drops client headers with underscores
    (underscores_in_headers off) and gunicorn drops them too, so no spelling of the name reaches the desk but this one.
    """
    return [
        "# The caseworker's desk: identity from this login only, over a socket only nginx and the desk can use.",
        *_location(
            "^~ /desk/",
            "set $bangfu_area desk;",
            "client_max_body_size 256k;",
            f"proxy_pass http://unix:{options.desk_socket}:;",
            f"proxy_set_header {DESK_USER_HEADER} $bangfu_user;",
            "proxy_set_header Host desk;",
            'proxy_set_header X-Forwarded-For "";',
            'proxy_set_header X-Forwarded-Host "";',
            'proxy_set_header Authorization "";',
            "proxy_redirect off;",
            "proxy_read_timeout 60s;",
        ),
    ]


def _location(match: str, *lines: str) -> list[str]:
    return [f"location {match} {{", *(f"    {line}" for line in lines), "}"]


def _too_many() -> list[str]:
    return [
        "# Too many requests from one address: a page in Chinese, not nginx's own.",
        *_location("@bangfu_too_many", "auth_basic off;", "default_type text/html;", f"return 429 {_quote(_TOO_MANY)};"),
    ]


def _sign_on(options: DeployOptions) -> list[str]:
    """Locations of single sign-on: the auth subrequest, oauth2-proxy's own pages, the way to sign in."""
    auth_url = urlsplit(options.auth_url)
    host = _public_host(options)
    scheme = "https" if options.tls_cert is not None else "$scheme"
    back = f"{scheme}://{host}$bangfu_return_to" if host else "$bangfu_return_to"
    # Only these headers reach oauth2-proxy: a client's own X-Auth-Request-*, X-Forwarded-* or X-Real-IP never do.
    headers = [
        f"proxy_set_header Host {host or '$host'};",
        f"proxy_set_header X-Forwarded-Host {host or '$host'};",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header Cookie $http_cookie;",
        "proxy_set_header Authorization $http_authorization;",
        "proxy_pass_request_headers off;",
    ]
    return [
        "# Single sign-on: nginx asks oauth2-proxy; it answers 202 with X-Auth-Request-User / -Groups, or 401.",
        *_location(
            "= /_bangfu/auth",
            "internal;",
            "auth_request off;",
            f"proxy_pass {options.auth_url};",
            "proxy_pass_request_body off;",
            'proxy_set_header Content-Length "";',
            *headers,
            "proxy_set_header X-Forwarded-Uri $request_uri;",
        ),
        *_location(
            "/oauth2/",
            "auth_request off;",
            f"proxy_pass {auth_url.scheme}://{auth_url.netloc};",
            *headers,
            "proxy_set_header User-Agent $http_user_agent;",
            "proxy_set_header Accept $http_accept;",
            "proxy_set_header Accept-Language $http_accept_language;",
            "proxy_set_header X-Auth-Request-Redirect $request_uri;",
        ),
        *_location("@bangfu_sign_in", f"return 302 /oauth2/sign_in?rd={back};"),
    ]


def _gated(match: str, area: str, code: str) -> list[str]:
    ind = "    "
    return [
        f"location {match} {{",
        f"{ind}set $bangfu_area {area};",
        f"{ind}set $bangfu_code {_quote(code)};",
        f"{ind}try_files $bangfu_gate$uri $bangfu_gate${{uri}}index.html @bangfu_refuse;",
        "}",
    ]

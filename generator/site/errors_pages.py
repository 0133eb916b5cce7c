"""Error pages for nginx (/errors/40x.html): they say what to do and reveal nothing about what was asked for."""

from __future__ import annotations

from generator.site.render import render
from generator.site.shell import ABSOLUTE

PAGES = {
    "401": ("需要登录", "请用本单位分配的账号登录后再访问。"),
    "403": (
        "无权访问",
        "您的账号没有查看此页面的权限。每个账号只能查看其授权地区和角色范围内的页面；如需更多权限，请联系上级工会的管理员。",
    ),
    "404": ("页面不存在", "没有找到这个页面：网址可能有误，或档案已迁移。请从首页或本地区的名单进入。"),
}


def render_errors(site, writer) -> None:
    for code, (title, text) in PAGES.items():
        body = render("error.html", base="/", code=code, title=title, text=text)
        writer.put(f"errors/{code}.html", site.shell.page(title, body, ABSOLUTE))

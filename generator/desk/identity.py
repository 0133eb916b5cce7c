"""Who is asking: the user nginx authenticated (its own header, over a socket only nginx reaches), their scopes and roles.

The desk never takes identity from anything else the client sends. Scopes and roles come from access.yaml as
for the site; approving additionally needs the reviewers list (reviewers.yaml), exactly as `bangfu audit` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.access.nginx import DESK_USER_HEADER
from generator.access.reviewers import Reviewers
from generator.access.users import Access
from generator.desk.plumbing import Person
from generator.rules.regions import regions

USER_HEADER = DESK_USER_HEADER  # set by nginx (proxy_set_header replaces any copy the client sent)
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
EDITOR, REVIEWER = "经办人", "审核人"
DESK_DOMAIN = "desk.bangfu.invalid"  # e-mail of a desk user who is not in the reviewers list


@dataclass(frozen=True)
class User:
    """A logged-in user with their editing scopes (经办人) and reviewing scopes (审核人 in both files)."""

    login: str
    name: str
    edit_scopes: tuple[str, ...]
    review_scopes: tuple[str, ...]
    email: str

    @property
    def person(self) -> Person:
        return Person(self.name, self.email)

    def may_edit(self, county: str) -> bool:
        return any(regions().contains(s, county) for s in self.edit_scopes)

    def may_review(self, county: str, reviewers: Reviewers) -> bool:
        """The desk's rule and audit's rule at once: 审核人 here for the county, and authorised in reviewers.yaml."""
        return any(regions().contains(s, county) for s in self.review_scopes) and reviewers.authorised(self.email, county)


def identify(header: str | None, access: Access, reviewers: Reviewers) -> User | None:
    """The user named by nginx's header, or None (no header, a malformed name, unknown or disabled user)."""
    if not header or not _USER.fullmatch(header):
        return None
    person = access.users.get(header)
    if person is None or person.disabled:
        return None
    grants = access.grants_of_user(header)
    edit = tuple(g.scope for g in grants if EDITOR in g.roles)
    review = tuple(g.scope for g in grants if REVIEWER in g.roles)
    if not edit and not review:
        return None
    email = next((r.email for r in reviewers.items if header in r.accounts), f"{header}@{DESK_DOMAIN}")
    return User(header, person.title, edit, review, email)

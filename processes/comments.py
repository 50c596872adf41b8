"""Comments on a case, with @mentions of colleagues who may see it.

A comment is plain text (the pages escape it; nothing in it is markup), 1 to 2,000 characters. `@username` names a
colleague: each named user who may read the case is told by a notification linking to the comment; a name that is
unknown, or of someone who may not see the case, is left as text and tells nobody anything (so a comment cannot probe
who exists elsewhere). The comment is one verb (`AddComment`) through the executor, with an audit event, so it shows
in the case's timeline; `mentionable` is what the comment box's autocomplete asks.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from . import audit
from .access import check_may_read_case, may_read_case
from .errors import ValidationFailed
from .executor import Command, execute
from .models import Case, CaseComment, Notification, RoleAssignment, User
from .notifications import email_status

MAX_LENGTH = 2000
MAX_MENTIONS = 10
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,79})")


def mentioned_usernames(body: str) -> list[str]:
    """The @usernames in a text, in order, without repeats (a trailing full stop is punctuation, not the name)."""
    return list(dict.fromkeys(m.group(1).rstrip(".") for m in MENTION.finditer(body)))


def of_case(session: Session, case_id: int) -> list[CaseComment]:
    return list(session.scalars(select(CaseComment).where(CaseComment.case_id == case_id)
                                .options(joinedload(CaseComment.author)).order_by(CaseComment.id)))


def listed(session: Session, user: User, case_id: int) -> list[CaseComment]:
    """A case's comments, oldest first, for whoever may read the case (404 for anyone else)."""
    check_may_read_case(user, session.get(Case, case_id))
    return of_case(session, case_id)


def mentionable(session: Session, user: User, case_id: int, q: str = "", limit: int = 8) -> list[User]:
    """Active users who may read the case (roles in its unit or a unit above it), matching `q` on username or name."""
    case = session.get(Case, case_id)
    check_may_read_case(user, case)
    line = [u.id for u in case.unit.ancestors()]
    query = (select(User).where(User.active.is_(True), User.id != user.id,
                                User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.unit_id.in_(line))))
             .order_by(User.username).limit(limit))
    text = q.strip().lstrip("@")[:80]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.ilike(like, escape="\\"), User.full_name.ilike(like, escape="\\")))
    return list(session.scalars(query))


class AddComment(Command):
    name = "add_comment"

    def __init__(self, case_id: int, body: str):
        self.case_id, self.body = case_id, (body or "").strip()

    def target(self, tx):
        return tx.session.get(Case, self.case_id)

    def authorize(self, tx, case):
        check_may_read_case(tx.actor, case)

    def run(self, tx, case):
        if not self.body:
            raise ValidationFailed("Bình luận không được để trống.", {"body": ["Hãy nhập nội dung bình luận."]})
        if len(self.body) > MAX_LENGTH:
            raise ValidationFailed(f"Bình luận tối đa {MAX_LENGTH:,} ký tự.".replace(",", "."),
                                   {"body": [f"Tối đa {MAX_LENGTH:,} ký tự (đang có {len(self.body):,}).".replace(",", ".")]})
        names = mentioned_usernames(self.body)[:MAX_MENTIONS]
        people = list(tx.session.scalars(select(User).where(User.username.in_(names), User.active.is_(True)))) \
            if names else []
        told = [u for u in people if u.id != tx.actor.id and may_read_case(u, case)]
        comment = CaseComment(case_id=case.id, author_id=tx.actor.id, body=self.body, mentions=[u.id for u in told])
        tx.session.add(comment)
        tx.session.flush()
        audit.record(tx.session, case.id, "comment_added", tx.actor.id, comment_id=comment.id,
                     mentions=[u.username for u in told])
        excerpt = self.body if len(self.body) <= 160 else self.body[:157] + "…"
        for person in told:
            tx.session.add(Notification(
                email_status=email_status(),
                user_id=person.id, case_id=case.id, kind="mention", link=f"/cases/{case.id}#comment-{comment.id}",
                message=(f"{tx.actor.full_name} nhắc đến bạn trong hồ sơ #{case.id} "
                         f"({case.unit.display_name}): {excerpt}")[:500]))
        return comment


def add_comment(session: Session, user: User, case_id: int, body: str) -> CaseComment:
    return execute(session, user, AddComment(case_id, body))

"""The review app's tables: accounts, login sessions, exclusion reasons, notes, tags,
and the undo log.

Decisions themselves stay in :class:`db.models.Decision` (who, what, when, why);
:class:`ReviewAction` keeps what one reviewer action changed, so that "undo the last
decision" can put back exactly what was there before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow

ROLES = ("reviewer", "admin")


class User(Base):
    """A reviewer or an admin; the password is an argon2 hash, never the password."""

    __tablename__ = "review_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="reviewer")
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The login before the current one: "new since last visit" means created after it.
    previous_login_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class LoginSession(Base):
    """A logged-in browser or API client.  Only a hash of the cookie is stored, so a
    leaked database does not hand out sessions."""

    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("review_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LoginFailure(Base):
    """One failed login, kept a while to throttle password guessing per name and IP."""

    __tablename__ = "review_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Reason(Base):
    """An exclusion reason of the shared list (admins add them)."""

    __tablename__ = "review_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """A reviewer's note on a training; it does not change the decision."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(Base):
    """A free tag on a training (for example "check dates"); it does not change the
    decision."""

    __tablename__ = "review_tags"
    __table_args__ = (UniqueConstraint("candidate_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    tag: Mapped[str] = mapped_column(String(60))
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewAction(Base):
    """What one reviewer action changed, for undo.

    ``kind`` is ``decide``, ``edit`` or ``merge``; ``before`` holds what the action
    replaced (status and reason, a field's old value and locks, the sources a merge
    moved).  Undoing sets ``undone_at`` and records a Decision ``undo``.
    """

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("decisions.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class ScreeningVote(Base):
    """One reviewer's independent verdict under blind double screening.

    Two agreeing votes decide the training; two that disagree leave it pending and
    list it as a conflict for a third reviewer.  Voters do not see each other's votes.
    """

    __tablename__ = "review_votes"
    __table_args__ = (UniqueConstraint("candidate_id", "actor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

"""Accounts, login sessions, CSRF tokens and login throttling.

Passwords are hashed with argon2 (argon2-cffi).  A session cookie carries a random
token; the database keeps only its SHA-256, with the session's CSRF token, which
every state-changing request must send back (form field or ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from db.review_models import ROLES, LoginFailure, LoginSession, User
from review.fields import InvalidInput, clean_input
from review.service import Conflict, now

SESSION_LIFETIME = timedelta(hours=12)
#: At most this many failed logins per name, or per address, within the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong
# password and response times do not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class Throttled(Exception):
    """Too many failed logins lately."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(session: Session, name: str, password: str, role: str = "reviewer") -> User:
    name = clean_input(name).strip()
    if not name or len(name) > 100 or any(not ch.isprintable() for ch in name):
        raise InvalidInput("a user name must be 1 to 100 printable characters")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"A user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


# --- login ---------------------------------------------------------------------------


def check_throttle(session: Session, name: str, address: str) -> None:
    since = now() - FAILURE_WINDOW
    recent = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.at > since,
        or_(LoginFailure.name == name, LoginFailure.address == address)))
    if (recent or 0) >= MAX_FAILURES:
        raise Throttled()


def authenticate(session: Session, name: str, password: str, address: str) -> User | None:
    """The user if the password is right; a failure is recorded for throttling.

    Raises :class:`Throttled` before checking anything when there were too many
    failures for this name or this address.
    """
    try:
        name, password = clean_input(name)[:100], clean_input(password)
    except InvalidInput:
        return None
    check_throttle(session, name, address)
    user = session.scalar(select(User).where(User.name == name, User.active))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    else:
        if user is not None and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    if user is None:
        session.add(LoginFailure(name=name[:100], address=address[:64]))
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.name == name))
    return user


def start_session(session: Session, user: User) -> str:
    """A new session for ``user``; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    user.previous_login_at, user.last_login_at = user.last_login_at, now()
    session.execute(delete(LoginSession).where(LoginSession.expires_at < now()))
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id,
                             csrf_token=secrets.token_urlsafe(32),
                             expires_at=now() + SESSION_LIFETIME))
    return token


def find_session(session: Session, token: str | None) -> tuple[LoginSession, User] | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if row is None or row.expires_at < now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_expired(moment: datetime) -> bool:
    return moment < now()

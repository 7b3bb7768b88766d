"""Mail through a real SMTP server (aiosmtpd on 127.0.0.1): who gets what, once, and that no mail
carries post text, names, handles or any other personal data."""

from __future__ import annotations

from email.message import Message

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from postwarden.settings import Settings
from review.domain import actions as review_actions
from review.domain.after_cycle import AfterCycleResult, after_cycle
from review.domain.notify import send_due
from storage.db import session_scope
from storage.models import Account, AccountState, Person, Post, School
from storage.review_models import NoticeKind, ReviewNotice
from tests.review.conftest import Inbox, World, build_world, free_port
from tests.review.conftest import email as email_of
from tests.support import settings_with


@pytest.fixture
def mail_world(settings: Settings) -> World:
    with session_scope(settings.engine) as s:
        return build_world(s)


def _cfg(settings: Settings, port: int) -> Settings:
    return settings_with(
        settings,
        smtp={"host": "127.0.0.1", "port": port, "from_address": "postwarden@trust.example"},
        review={"base_url": "https://review.trust.example"},
    )


def _after_cycle(cfg: Settings) -> AfterCycleResult:
    return after_cycle(cfg.engine, config=cfg.review, smtp=cfg.smtp)


def _send_due(cfg: Settings, *, digest: bool = True) -> int:
    return send_due(cfg.engine, config=cfg.review, smtp=cfg.smtp, digest=digest)


def _personal_data(settings: Settings) -> list[str]:
    """Everything a mail must never contain: post text, people, schools, accounts, handles."""
    with Session(settings.engine) as s:
        words = [p.text or "" for p in s.exec(select(Post)).all()]
        words += [p.name for p in s.exec(select(Person)).all()]
        words += [p.name.split()[-1] for p in s.exec(select(Person)).all()]
        words += [s_.name for s_ in s.exec(select(School)).all()]
        words += [a.handle for a in s.exec(select(Account)).all()]
    words += ["Harry", "Finch", "LunchCo", "budget cuts", "HeadOakfield", "TrustCEO", "07700"]
    return [w for w in words if w]


def _body(m: Message) -> str:
    text = m.get_payload(decode=True).decode()  # type: ignore[union-attr]
    return str(m["Subject"]) + "\n" + text.replace("\r\n", "\n")


def test_mail_is_counts_severity_and_links_only(
    settings: Settings, mail_world: World, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    cfg = _cfg(settings, port)
    with session_scope(cfg.engine) as s:
        acc = s.get(Account, mail_world.accounts["b"])
        assert acc is not None
        acc.state = AccountState.NEEDS_REAUTH
        s.add(acc)

    result = _after_cycle(cfg)  # alerts the DSL, then sends what is due
    assert result.mail_error is None and result.mails_sent == len(box.messages) > 0

    # Immediate: the high-severity items' holders, and the school's DSL for the 8.4 item.
    immediate = [m for _, m in box.messages if "high-severity" in m["Subject"]]
    assert sorted(m["To"] for m in immediate) == sorted(
        [email_of("creator_a"), email_of("cluster")]
    )
    creator_mail = next(m for m in immediate if m["To"] == email_of("creator_a"))
    assert f"https://review.trust.example/items/{mail_world.items['a_pupil']}" in _body(
        creator_mail
    )
    [dsl] = box.to(email_of("dsl_a"))
    assert "safeguarding alert (1 item)" in dsl["Subject"] and "1 high" in _body(dsl)
    assert not box.to(email_of("dsl_b")), "the other school's DSL hears nothing"

    # Digest: everyone holding items, with counts; re-authorisation: the Director of IT only.
    digests = {m["To"]: _body(m) for _, m in box.messages if "daily digest" in m["Subject"]}
    assert set(digests) == {
        email_of(k) for k in ("creator_a", "head_a", "creator_b", "cluster", "trustee")
    }
    assert (
        "You hold 2 review items (1 high, 1 medium); 0 overdue." in digests[email_of("creator_a")]
    )
    [reauth] = box.to(email_of("it"))
    assert reauth["Subject"] == "Postwarden: 1 account needs re-authorisation"
    assert "https://review.trust.example/it/accounts" in _body(reauth)

    for _, m in box.messages:
        assert m["From"] == "postwarden@trust.example" and m["Auto-Submitted"] == "auto-generated"
        body = _body(m)
        for secret in _personal_data(cfg):
            assert secret not in body, f"{secret!r} leaked into {m['Subject']!r}"
        assert "Hello,\n" in body and "no post text and no names" in body


def test_nothing_is_sent_twice(
    settings: Settings, mail_world: World, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    cfg = _cfg(settings, port)
    first = _after_cycle(cfg).mails_sent
    assert first == len(box.messages) > 0
    assert _send_due(cfg) == 0
    assert _after_cycle(cfg).mails_sent == 0
    assert len(box.messages) == first


def test_an_escalation_mails_the_new_holder(
    settings: Settings, mail_world: World, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    cfg = _cfg(settings, port)
    _send_due(cfg, digest=False)
    before = len(box.to(email_of("head_a")))
    with Session(cfg.engine, expire_on_commit=False) as s:
        from storage.models import ReviewItem

        item = s.get(ReviewItem, mail_world.items["a_pupil"])
        actor = s.get(Person, mail_world.people["creator_a"])
        review_actions.escalate(
            s,
            ctx=review_actions.load_context(s, item),
            actor=actor,  # type: ignore[arg-type]
            note="Needs the Head",
            config=cfg.review,
        )
        s.commit()
    assert _send_due(cfg, digest=False) == 1
    assert len(box.to(email_of("head_a"))) == before + 1


def test_smtp_down_loses_nothing(
    settings: Settings, mail_world: World, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    down = _cfg(settings, free_port())
    result = _after_cycle(down)
    assert result.mails_sent == 0 and result.mail_error and "Connection" in result.mail_error
    assert result.safeguarding_alerts == 1, "the alert is on record even though mail failed"
    with Session(settings.engine) as s:
        assert s.exec(select(ReviewNotice)).all() == [], "nothing recorded as sent"
    assert _send_due(_cfg(settings, port)) > 0
    assert box.to(email_of("dsl_a")), "the DSL's alert goes out once mail is back"


def test_mail_is_off_without_a_server(settings: Settings, mail_world: World) -> None:
    assert _send_due(settings) == 0
    with Session(settings.engine) as s:
        assert not s.exec(select(ReviewNotice).where(ReviewNotice.kind == NoticeKind.DIGEST)).all()


class _Recorder:
    """aiosmtpd authenticator that records every log-in it is offered."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        from aiosmtpd.smtp import AuthResult

        self.logins.append((mechanism, auth_data.password.decode()))
        return AuthResult(success=True)


@pytest.mark.parametrize("tls", ["none", "smtps"])
def test_a_password_never_crosses_an_unencrypted_connection(
    sqlite_settings: Settings, tls: str
) -> None:
    """A server that would take the password in clear gets nothing: neither the password (no
    STARTTLS/SMTPS configured: refused before connecting, with a clear error) nor, with SMTPS
    configured against a plain server, anything at all (the TLS handshake fails first)."""
    from aiosmtpd.controller import Controller

    from review.domain.notify import Mail, MailRefused, deliver

    recorder, port = _Recorder(), free_port()
    controller = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder,
        auth_require_tls=False,
    )
    controller.start()
    try:
        smtp = settings_with(
            sqlite_settings,
            smtp={
                "host": "127.0.0.1",
                "port": port,
                "username": "postwarden",
                "password": SecretStr("mail-secret-123"),
                "ssl": tls == "smtps",
            },
        ).smtp
        mail = Mail(
            to="x@trust.example", subject="s", body="b", kind=NoticeKind.DIGEST, person_id=1
        )
        if tls == "none":
            with pytest.raises(MailRefused, match="STARTTLS or SMTPS"):
                deliver([mail], smtp)
        else:
            with pytest.raises(OSError):
                deliver([mail], smtp)
    finally:
        controller.stop()
    assert recorder.logins == [], "the password reached the server in clear"

"""The acts behind the buttons, on SQLite and PostgreSQL: escalation up section 5, the
safeguarding lead, section 9 referrals, overdue hand-over, and what the record keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from postwarden.settings import Settings
from review.domain import actions as acts
from review.domain import after_cycle
from review.domain.actions import ActionError, EscalateTo
from storage.models import ItemState, Person, ReviewEvent, ReviewItem
from storage.review_crud import audit
from storage.review_models import AuditLog, Referral, ReferralTarget
from storage.types import utcnow
from tests.review.conftest import World


def _s(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


def _ctx(s: Session, w: World, name: str) -> acts.ItemContext:
    item = s.get(ReviewItem, w.items[name])
    assert item is not None
    return acts.load_context(s, item)


def _who(s: Session, w: World, key: str) -> Person:
    p = s.get(Person, w.people[key])
    assert p is not None
    return p


def _events(s: Session, item_id: int) -> list[str]:
    return list(
        s.exec(
            select(ReviewEvent.action)
            .where(ReviewEvent.item_id == item_id)
            .order_by(col(ReviewEvent.id))
        ).all()
    )


def test_escalation_climbs_the_chain_and_keeps_the_record(settings: Settings, world: World) -> None:
    with _s(settings) as s:
        item_id = world.items["a_plain"]
        acts.escalate(
            s,
            ctx=_ctx(s, world, "a_plain"),
            actor=_who(s, world, "creator_a"),
            note="Derogatory about the council",
            config=settings.review,
        )
        s.commit()
        item = s.get(ReviewItem, item_id)
        assert item is not None
        assert item.state == ItemState.ESCALATED and item.assignee_id == world.people["head_a"]
        assert item.due_at > utcnow() + timedelta(hours=settings.review.due_hours_medium - 1)
        acts.escalate(
            s,
            ctx=_ctx(s, world, "a_plain"),
            actor=_who(s, world, "head_a"),
            note="Needs the cluster lead",
            config=settings.review,
        )
        s.commit()
        assert s.get(ReviewItem, item_id).assignee_id == world.people["cluster"]  # type: ignore[union-attr]
        notes = s.exec(
            select(ReviewEvent.note).where(
                ReviewEvent.item_id == item_id, ReviewEvent.action == "escalated"
            )
        ).all()
        assert notes[0].startswith("Derogatory about the council [Escalated to the Headteacher")
        assert "Cluster Lead" in notes[1]


def test_escalation_to_the_safeguarding_lead_with_a_section_9_referral(
    settings: Settings, world: World
) -> None:
    with _s(settings) as s:
        acts.escalate(
            s,
            ctx=_ctx(s, world, "a_pupil"),
            actor=_who(s, world, "creator_a"),
            note="Pupil named with year group",
            to=EscalateTo.SAFEGUARDING,
            referral=ReferralTarget.COUNTY_SAFEGUARDING_LEAD,
            reference="LADO-2026-114",
            config=settings.review,
        )
        s.commit()
        item = s.get(ReviewItem, world.items["a_pupil"])
        assert item is not None and item.assignee_id == world.people["dsl_a"]
        ref = s.exec(select(Referral)).one()
        assert ref.referred_to == ReferralTarget.COUNTY_SAFEGUARDING_LEAD
        assert ref.reference == "LADO-2026-114" and ref.made_by_id == world.people["creator_a"]
        assert _events(s, item.id)[-2:] == ["escalated", "referred"]  # type: ignore[arg-type]


@pytest.mark.parametrize("table", ["referral", "audit_log"])
def test_referrals_and_audit_log_are_append_only(
    settings: Settings, world: World, table: str
) -> None:
    with _s(settings) as s:
        if table == "referral":
            acts.refer(
                s,
                ctx=_ctx(s, world, "a_plain"),
                actor=_who(s, world, "it"),
                to=ReferralTarget.POLICE,
                note="Reported",
                reference="CAD 123",
            )
        else:
            audit(s, actor_id=world.people["it"], action="login")
        s.commit()
        model = Referral if table == "referral" else AuditLog
        row = s.exec(select(model)).first()
        assert row is not None
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="append-only"):
                s.connection().exec_driver_sql(statement)
            s.rollback()


@pytest.mark.parametrize("act", ["dismiss", "resolve", "escalate", "comment"])
def test_every_act_needs_a_note(settings: Settings, world: World, act: str) -> None:
    with _s(settings) as s:
        ctx, actor = _ctx(s, world, "a_plain"), _who(s, world, "creator_a")
        kw = _config_for(act, settings)
        with pytest.raises(ActionError, match="note is required"):
            getattr(acts, act)(s, ctx=ctx, actor=actor, note="   ", **kw)
        with pytest.raises(ActionError, match="too long"):
            getattr(acts, act)(s, ctx=ctx, actor=actor, note="x" * (acts.NOTE_MAX + 1), **kw)


def _config_for(act: str, settings: Settings) -> dict[str, object]:
    """Escalating sets a new due date, so it takes the review settings."""
    return {"config": settings.review} if act == "escalate" else {}


def test_a_closed_item_takes_comments_but_no_other_act(settings: Settings, world: World) -> None:
    with _s(settings) as s:
        actor = _who(s, world, "creator_a")
        acts.resolve(s, ctx=_ctx(s, world, "a_plain"), actor=actor, note="Removed by owner")
        s.commit()
        for act in ("dismiss", "resolve", "escalate"):
            with pytest.raises(ActionError, match="already resolved"):
                getattr(acts, act)(
                    s,
                    ctx=_ctx(s, world, "a_plain"),
                    actor=actor,
                    note="again",
                    **_config_for(act, settings),
                )
        acts.comment(s, ctx=_ctx(s, world, "a_plain"), actor=actor, note="Owner apologised")
        s.commit()
        assert _events(s, world.items["a_plain"])[-2:] == ["resolved", "comment"]


def test_pupil_identification_alerts_the_schools_dsl_once(settings: Settings, world: World) -> None:
    with _s(settings) as s:
        alerts = after_cycle.alert_safeguarding(s)
        s.commit()
        assert [(a.item_id, a.lead_ids) for a in alerts] == [
            (world.items["a_pupil"], (world.people["dsl_a"],))
        ]
        assert after_cycle.alert_safeguarding(s) == []


def test_overdue_items_pass_to_the_director_of_it_once(settings: Settings, world: World) -> None:
    with _s(settings) as s:
        for name in ("a_plain", "by_ceo"):
            item = s.get(ReviewItem, world.items[name])
            assert item is not None
            item.due_at = utcnow() - timedelta(hours=1)
            s.add(item)
        s.commit()
        moved = after_cycle.escalate_overdue(s, config=settings.review)
        s.commit()
        assert moved == [world.items["a_plain"]], "the Trustees already hold the CEO's post"
        plain = s.get(ReviewItem, world.items["a_plain"])
        ceo_post = s.get(ReviewItem, world.items["by_ceo"])
        assert plain is not None and ceo_post is not None
        assert plain.assignee_id == world.people["it"] and plain.state == ItemState.ESCALATED
        # The CEO wrote it: the Director of IT (whom the CEO manages) may not; the Trustees keep it.
        assert ceo_post.assignee_id == world.people["trustee"]
        assert plain.due_at > utcnow(), "a fresh due date, so it is not handed over again"
        assert after_cycle.escalate_overdue(s, config=settings.review) == []
        assert _events(s, plain.id)[-1] == "overdue_escalated"  # type: ignore[arg-type]


def test_housekeeping_runs_without_mail_configured(settings: Settings, world: World) -> None:
    result = after_cycle.after_cycle(settings.engine, config=settings.review, smtp=settings.smtp)
    assert result.safeguarding_alerts == 1 and result.mails_sent == 0 and result.mail_error is None


@pytest.mark.parametrize(
    ("actor", "item", "expected"),
    [
        ("it", "a_plain", "head_a"),  # the Director of IT steps in: the holder's next rung
        ("dsl_a", "a_pupil", "head_a"),
        ("head_a", "a_escalated", "cluster"),  # the holder escalates: never back to themselves
        ("cluster", "a_by_head", "ceo"),
    ],
)
def test_escalation_goes_above_the_holder_and_never_to_the_actor(
    settings: Settings, world: World, actor: str, item: str, expected: str
) -> None:
    with _s(settings) as s:
        ctx = _ctx(s, world, item)
        who = _who(s, world, actor)
        assert acts.chain_route(s, ctx=ctx, actor=who).assignee_id == world.people[expected]
        acts.escalate(s, ctx=ctx, actor=who, note="Escalating", config=settings.review)
        s.commit()
        assert s.get(ReviewItem, world.items[item]).assignee_id == world.people[expected]  # type: ignore[union-attr]

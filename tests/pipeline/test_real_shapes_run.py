"""Issue 11 end to end: `postwarden accounts pull` and `postwarden run` (the CLI, real clients over
HTTP to the sandbox serving the platforms' real shapes, exports dropped in inboxes), on SQLite
and PostgreSQL.

The sandbox serves what tests/fixtures/real_shapes/ records: a long X post (`note_tweet`), a
retweet and a quote whose whole text is only in `includes.tweets`, t.co links and a bit.ly-style
shortener, alt text; a Facebook Page on time-based paging with a link card and an album; a
Bluesky feed with a repost at its top, a link held only in a facet, a link card and a quote; two
blogs with `&nbsp;`/bare `&` and relative links; WhatsApp exports in UK, US and ISO date orders,
a "with media" zip with a shared document; a Facebook DYI export holding other groups too.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from connectors.base import PulledPost
from devkit.sandbox.exports import drop
from devkit.sandbox.server import SandboxServer
from devkit.sandbox.x import make_snowflake
from postwarden.cli.main import app
from postwarden.settings import Settings
from storage import connector_crud
from storage.models import Account, Post
from tests.connectors.real_shapes import ROOT, assert_parts, zipped

TOKEN = "real-shapes-token"
runner = CliRunner()

X_SCHOOL, X_PTA, X_FARM = "1498765432109876543", "1377014402226520064", "1288412345678901248"
PAGE = "108374920019283"
BSKY, BSKY_PTA = "did:plc:oakfieldprimaryschool234", "did:plc:oakfieldptafriendsgroup2"
BSKY_GAZETTE = "did:plc:millbrookgazettenews27ab"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _tweet(author: str, when: str, text: str, **more: Any) -> dict[str, Any]:
    return {
        "id": str(make_snowflake(_at(when))),
        "author_id": author,
        "created_at": when,
        "text": text,
        **more,
    }


LONG = (
    "What a fantastic first week back at Oakfield! Thank you to every family who joined us for "
    "the welcome picnic on Friday. Our new Reception children have settled in brilliantly, and "
    "the Year 6 buddies have been superb role models all week. A special well done to our "
    "reading champions, who read to the whole school in assembly: Amelia Hartley (Year 4) was "
    "simply outstanding. #OakfieldFamily"
)
PTA_POST = _tweet(
    X_PTA,
    "2026-09-08T15:40:00Z",
    "Huge thanks to everyone who baked, bought and helped at Saturday's cake sale - we raised "
    "£412 for the residential! Star baker: Isla Novak (Year 6), whose lemon drizzle sold out.",
)
FARM_POST = _tweet(
    X_FARM,
    "2026-09-08T18:20:00Z",
    "Lovely to host Oakfield Primary today. Theo Marchetti (Year 5) asked the best question!",
)


def dataset() -> dict[str, Any]:
    """The sandbox's world, in the platforms' real shapes (texts after the fixtures')."""
    rss_nbsp = (ROOT / "feeds" / "rss_nbsp_bare_amp.xml").read_text("utf-8")
    rss_relative = (ROOT / "feeds" / "rss_relative_links.xml").read_text("utf-8")
    return {
        "x": {
            "bearer_tokens": [TOKEN],
            "users": [
                {"id": X_SCHOOL, "username": "OakfieldPrimary", "name": "Oakfield Primary"},
                {"id": X_PTA, "username": "OakfieldPTA", "name": "Oakfield PTA"},
                {"id": X_FARM, "username": "MillbrookFarm", "name": "Millbrook Farm"},
            ],
            "tweets": [
                PTA_POST,
                FARM_POST,
                _tweet(X_SCHOOL, "2026-09-07T15:30:00Z", LONG),
                _tweet(
                    X_SCHOOL,
                    "2026-09-08T16:05:00Z",
                    "RT",
                    referenced_tweets=[{"type": "retweeted", "id": PTA_POST["id"]}],
                ),
                _tweet(
                    X_SCHOOL,
                    "2026-09-09T07:45:00Z",
                    "So proud of our Year 5s on the farm trip "
                    f"https://twitter.com/MillbrookFarm/status/{FARM_POST['id']}",
                    referenced_tweets=[{"type": "quoted", "id": FARM_POST["id"]}],
                ),
                _tweet(
                    X_SCHOOL,
                    "2026-09-10T12:00:00Z",
                    "Tickets for the leavers' raffle & disco, pay online: https://bit.example/3Xy9Qa",
                ),
                _tweet(
                    X_SCHOOL,
                    "2026-09-11T14:10:00Z",
                    "Sports day champions!",
                    media=[
                        {
                            "media_key": "3_2098413585167286273",
                            "type": "photo",
                            "url": "https://pbs.twimg.com/media/GZk3PqRWgAAbC1x.jpg",
                            "alt_text": "Freddie Okafor (Year 3) lifting the sprint trophy",
                        }
                    ],
                ),
            ],
        },
        "graph": {
            "tokens": [TOKEN],
            "accounts": [
                {"id": PAGE, "kind": "page", "name": "Oakfield Primary School", "paging": "time"}
            ],
            "posts": [
                {
                    "id": f"{PAGE}_1227{n}",
                    "owner": PAGE,
                    "text": f"Weekly notice {n}: see the website.",
                    "created_time": f"2026-09-{10 + n:02d}T09:00:00Z",
                }
                for n in range(1, 5)
            ]
            + [
                {
                    "id": f"{PAGE}_122815",
                    "owner": PAGE,
                    "text": "Lovely write-up in the Gazette",
                    "created_time": "2026-09-27T10:00:00Z",
                    "link": {
                        "url": "https://millbrook-gazette.example/news/young-chess-champion",
                        "title": "Oakfield pupil Jayden Osei (Year 5) crowned chess champion",
                        "description": "He beat 40 rivals to take the county title.",
                    },
                },
                {
                    "id": f"{PAGE}_122801",
                    "owner": PAGE,
                    "text": "Harvest Festival 2026 - thank you for your donations!",
                    "created_time": "2026-09-26T13:15:00Z",
                    "images": [
                        {
                            "url": "https://scontent.xx.fbcdn.net/v/harvest1.jpg",
                            "alt": "Poppy Lindqvist (Year 2) reading her poem",
                        },
                        {"url": "https://scontent.xx.fbcdn.net/v/harvest2.jpg"},
                        {
                            "url": "https://scontent.xx.fbcdn.net/v/harvest3.jpg",
                            "alt": "Jack Whitfield (Year 2) with the class marrow",
                        },
                    ],
                },
            ],
        },
        "bluesky": {
            "accounts": [
                {"did": BSKY, "handle": "oakfieldprimary.bsky.social", "display_name": "Oakfield"},
                {"did": BSKY_PTA, "handle": "oakfieldpta.bsky.social", "display_name": "PTA"},
                {
                    "did": BSKY_GAZETTE,
                    "handle": "millbrookgazette.bsky.social",
                    "display_name": "Gazette",
                },
            ],
            "posts": [
                {
                    "rkey": "3mrz7j62e222b",
                    "author": BSKY_PTA,
                    "created_at": "2026-08-01T10:00:00Z",
                    "text": "Summer fair raised £2,140! Tombola run by Evie Sandhu (Year 5)",
                },
                {
                    "rkey": "3mvu4cfxb222b",
                    "author": BSKY_GAZETTE,
                    "created_at": "2026-09-19T07:00:00Z",
                    "text": "Chess champion: Oakfield's Jayden Osei (Year 5) from Brook Lane.",
                },
                {
                    "rkey": "3mv5ospb3222b",
                    "author": BSKY,
                    "created_at": "2026-09-10T09:00:00Z",
                    "text": "Welcome back to all our families! Gates open at 8:40am.",
                },
                {
                    "rkey": "3mvijb645222b",
                    "author": BSKY,
                    "created_at": "2026-09-14T16:20:00Z",
                    "text": "Year 4 have started their Romans topic!",
                },
                {
                    "rkey": "3mvnscbyks22b",
                    "author": BSKY,
                    "created_at": "2026-09-16T18:45:00Z",
                    "text": "Handy list for Monday https://docs.example/d/1AbC9xYzQ7/edit#Year6-SEN-register",
                },
                {
                    "rkey": "3mvs2wbzbk22b",
                    "author": BSKY,
                    "created_at": "2026-09-18T11:30:00Z",
                    "text": "Read all about our new library!",
                    "link": {
                        "uri": "https://oakfieldprimary.example/news/new-library",
                        "title": "New library opens at Oakfield Primary",
                        "description": "Harvey Quinn (Year 4) cut the ribbon.",
                    },
                },
                {
                    "rkey": "3mvuaijiec22b",
                    "author": BSKY,
                    "created_at": "2026-09-19T08:15:00Z",
                    "text": "We are so proud!",
                    "quote": f"at://{BSKY_GAZETTE}/app.bsky.feed.post/3mvu4cfxb222b",
                },
                {
                    "rkey": "3mvk5s644u22b",
                    "author": BSKY,
                    "created_at": "2026-09-20T08:00:05Z",
                    "repost_of": f"at://{BSKY_PTA}/app.bsky.feed.post/3mrz7j62e222b",
                },
            ],
        },
        "feeds": {
            "tokens": [TOKEN],
            "blogs": [
                {
                    "slug": "kitchen",
                    "title": "Kitchen",
                    "link": "https://oakfieldprimary.example/kitchen/",
                    "raw": rss_nbsp,
                },
                {
                    "slug": "blog",
                    "title": "Blog",
                    "link": "https://oakfieldprimary.example/blog/",
                    "raw": rss_relative,
                },
            ],
        },
        "links": {
            "short": {
                "https://bit.example/3Xy9Qa": "https://casino-jackpot-wins.example/signup?aff=991"
            }
        },
    }


ACCOUNTS = [
    # platform, external id, handle, conn id (None: none given)
    ("x", X_SCHOOL, "OakfieldPrimary", "x_oakfield"),
    ("facebook", PAGE, "Oakfield Primary School", "fb_oakfield"),
    ("bluesky", BSKY, "oakfieldprimary.bsky.social", None),
    ("blog", "https://oakfieldprimary.example/blogs/kitchen/feed.xml", "Kitchen", "blog_host"),
    ("blog", "https://oakfieldprimary.example/blogs/blog/feed.xml", "Blog", "blog_host"),
    ("whatsapp_export", "staff-room", "Oakfield Staff Room", None),
    ("whatsapp_export", "staff-room-iphone", "Oakfield Staff Room (iPhone)", "ignored_conn"),
    ("facebook_group_export", "staff-fb", "Oakfield Staff Room (Facebook group)", None),
]


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer(dataset(), tokens={TOKEN}, timeout_delay=1.0) as sb:
        conn = json.dumps({"conn_type": "http", "host": sb.url, "password": TOKEN})
        for conn_id in ("x_oakfield", "fb_oakfield", "blog_host"):
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn)
        monkeypatch.setenv("POSTWARDEN_CONNECTORS__BLUESKY__API_BASE_URL", sb.url)
        for name, value in {
            "PULL__BACKFILL_DAYS": "3650",
            "CONNECTORS__EXPORTS__DATE_ORDER": "dmy",
            "CONNECTORS__EXPORTS__SETTLE_SECONDS": "0",
            "CONNECTORS__GRAPH__PAGE_SIZE": "2",
        }.items():
            monkeypatch.setenv(f"POSTWARDEN_{name}", value)
        from postwarden.settings import get_settings

        get_settings.cache_clear()
        cli("init")
        cli(
            "people",
            "add",
            "--name",
            "Head Teacher",
            "--role",
            "headteacher",
            "--email",
            "head@o.example",
        )
        for platform, external, handle, conn_id in ACCOUNTS:
            args = ["accounts", "add", "--platform", platform, "--external-id", external]
            args += [
                "--handle",
                handle,
                "--kind",
                "official" if "export" not in platform else "employee_group",
            ]
            if conn_id:
                args += ["--conn-id", conn_id]
            cli(*args)
        with Session(get_settings().engine) as s:
            ids = s.exec(select(Account.id).order_by(Account.id)).all()  # type: ignore[arg-type]
        for account_id in ids:
            cli(
                "accounts",
                "approve",
                str(account_id),
                "--headteacher",
                "head@o.example",
                "--on",
                "2026-09-01",
            )
        inboxes = [Path(cli("accounts", "inbox", str(i)).strip()) for i in ids[5:]]
        wa = ROOT / "whatsapp"
        drop(inboxes[0], "WhatsApp Chat with Oakfield Staff Room.txt", wa / "uk_android_24h.txt")
        drop(inboxes[0], "us.txt", wa / "us_mdy_12h.txt")
        drop(inboxes[0], "iso.txt", wa / "iso_yyyy_mm_dd.txt")
        drop(
            inboxes[1],
            "WhatsApp Chat - Oakfield Staff Room.zip",
            zipped(wa / "ios_with_media", "x")[1],
        )
        drop(inboxes[1], "edited.txt", wa / "edited_marker.txt")
        drop(inboxes[1], "system.txt", wa / "system_lines.txt")
        dyi = ROOT / "facebook_dyi" / "json_export" / "your_facebook_activity"
        drop(
            inboxes[2],
            "group_posts_and_comments.json",
            dyi / "groups" / "group_posts_and_comments.json",
        )
        drop(
            inboxes[2],
            "your_comments_in_groups.json",
            dyi / "groups" / "your_comments_in_groups.json",
        )
        drop(
            inboxes[2],
            "timeline.json",
            dyi / "posts" / "your_posts__check_ins__photos_and_videos_1.json",
        )
        yield sb


def stored(settings: Settings, external_id: str) -> list[PulledPost]:
    with Session(settings.engine) as s:
        account = s.exec(select(Account).where(Account.external_id == external_id)).one()
        rows = s.exec(select(Post).where(Post.account_id == account.id)).all()
        return [
            PulledPost(
                external_id=p.external_id,
                text=p.text or "",
                created_at=p.created_at,
                author_handle=p.author_handle,
                url=p.url,
                extra=connector_crud.extra_for(s, post_id=p.id),  # type: ignore[arg-type]
            )
            for p in rows
        ]


def texts(posts: list[PulledPost]) -> str:
    return "\n".join(p.text for p in posts)


def test_pull_stores_every_word_once_then_run_scans_every_part(
    world: SandboxServer, settings: Settings
) -> None:
    out = cli("accounts", "pull")
    assert "needs_reauth" not in out and "failed" not in out, out

    x = stored(settings, X_SCHOOL)
    assert len(x) == 5 and "Amelia Hartley (Year 4)" in texts(x)  # the whole note tweet
    assert "Isla Novak (Year 6)" in texts(x) and "Theo Marchetti (Year 5)" in texts(x)
    raffle = next(p for p in x if "raffle" in p.text)
    assert "raffle & disco" in raffle.text  # unescaped
    assert "https://casino-jackpot-wins.example/signup?aff=991" in raffle.extra["links"]
    assert "https://casino-jackpot-wins.example/signup?aff=991" in raffle.text
    assert not any(p.external_id in (PTA_POST["id"], FARM_POST["id"]) for p in x)

    fb = stored(settings, PAGE)
    assert len(fb) == 6  # every page of the time-based paging, two posts a page
    assert "Jayden Osei (Year 5)" in texts(fb) and "Jack Whitfield (Year 2)" in texts(fb)
    assert any("https://millbrook-gazette.example/news/young-chess-champion" in p.text for p in fb)

    bsky = stored(settings, BSKY)
    assert len(bsky) == 6
    repost = next(p for p in bsky if p.extra.get("post_type") == "repost")
    assert repost.external_id.startswith(f"at://{BSKY}/app.bsky.feed.repost/")
    assert "Evie Sandhu (Year 5)" in repost.text
    assert "Romans topic" in texts(bsky)  # the own post under the repost is not skipped
    assert "Year6-SEN-register" in texts(bsky) and "Harvey Quinn (Year 4)" in texts(bsky)
    assert "Jayden Osei (Year 5)" in texts(bsky)

    kitchen = stored(settings, "https://oakfieldprimary.example/blogs/kitchen/feed.xml")
    assert len(kitchen) == 2 and "fish & chips will be served" in texts(kitchen)
    blog = stored(settings, "https://oakfieldprimary.example/blogs/blog/feed.xml")
    assert {p.url for p in blog} == {
        "https://oakfieldprimary.example/blog/2026/09/roman-museum-trip/",
        "https://oakfieldprimary.example/blogs/blog/2026/09/welcome-back/",
    }

    staff = stored(settings, "staff-room")
    # UK, US and ISO orders, each read right; the UK and US files share two messages (the same
    # chat on two phones), stored once.
    assert len(staff) == 5 + 4 + 2 - 2
    us = next(p for p in staff if "going to bed" in p.text)
    assert us.created_at == datetime(2026, 9, 14, 23, 5, tzinfo=UTC)
    iphone = stored(settings, "staff-room-iphone")
    assert "Ava Carter - peanuts" in texts(iphone)  # the shared document, not taken for the chat
    assert sum("nits" in p.text for p in iphone) == 1 and "<This message" not in texts(iphone)
    assert "changed the subject" not in texts(iphone) and "2026/27" not in texts(iphone)
    dyi = stored(settings, "staff-fb")
    assert len(dyi) == 3 and "rotavator" not in texts(dyi) and "canal" not in texts(dyi)
    for post in [*x, *fb, *bsky, *kitchen, *blog, *staff, *iphone, *dyi]:
        assert_parts(post)

    health = [json.loads(line) for line in cli("accounts", "health", "--json").splitlines()]
    assert len(health) == len(ACCOUNTS)
    assert {h["state"] for h in health} == {"ok"}, health  # no export is ever needs_reauth
    quarantined = {h["handle"]: h["quarantined_files"] for h in health}
    assert quarantined["Oakfield Staff Room (Facebook group)"] == 1  # the timeline file

    # Pulling again stores nothing twice.
    again = cli("accounts", "pull")
    assert "+0 new" in again and "+1 new" not in again

    cli("run")
    items = [json.loads(line) for line in cli("review", "list", "--json").splitlines()]
    assert items and all(
        {"account", "post_id", "url", "posted_at", "findings"} <= set(i) for i in items
    )
    where = {(i["account"]["platform"], f["part"]) for i in items for f in i["findings"]}
    assert ("x", "alt_text") in where  # a pupil named only in an image description
    assert ("x", "reposted_post") in where  # ... only in the retweeted text
    assert ("bluesky", "reposted_post") in where
    assert ("facebook", "link_card") in where or ("facebook", "attachment_title") in where
    alt = next(
        f
        for i in items
        for f in i["findings"]
        if i["account"]["platform"] == "x" and f["part"] == "alt_text"
    )
    assert alt["explanation"].startswith("In the image 1 description: ")


def test_owner_only_files(world: SandboxServer, settings: Settings) -> None:
    cli("run")
    home = settings.home.resolve()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    if settings.resolved_database_url.startswith("sqlite"):
        db = Path(settings.resolved_database_url.split("///", 1)[1])
        for file in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            if file.exists():
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    inboxes = home / "inboxes"
    for folder in [inboxes, *(p for p in inboxes.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    cli("run")  # the next cycle tidies the files away
    for file in (p for p in inboxes.rglob("*") if p.is_file()):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_deletion_window_days_reaches_facebook_end_to_end(
    world: SandboxServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Page post deleted upstream is marked deleted when it is inside the configured window
    (and the old fixed two days would have missed it)."""
    from postwarden.settings import get_settings

    recent = (datetime.now(UTC) - timedelta(days=4)).replace(microsecond=0)
    world.app.graph.add_post(
        {
            "id": f"{PAGE}_199",
            "owner": PAGE,
            "text": "Soon gone",
            "created_time": recent.isoformat(),
        }
    )
    cli("accounts", "pull")
    world.app.graph.delete(f"{PAGE}_199")
    monkeypatch.setenv("POSTWARDEN_CONNECTORS__GRAPH__DELETION_WINDOW_DAYS", "2")
    monkeypatch.setenv("POSTWARDEN_PULL__DELETION_CHECK_MINUTES", "0")
    get_settings.cache_clear()
    cli("accounts", "pull")
    with Session(settings.engine) as s:
        post = s.exec(select(Post).where(Post.external_id == f"{PAGE}_199")).one()
        assert not post.deleted  # four days old: outside a two-day window
    monkeypatch.setenv("POSTWARDEN_CONNECTORS__GRAPH__DELETION_WINDOW_DAYS", "7")
    get_settings.cache_clear()
    cli("accounts", "pull")
    with Session(settings.engine) as s:
        post = s.exec(select(Post).where(Post.external_id == f"{PAGE}_199")).one()
        assert post.deleted

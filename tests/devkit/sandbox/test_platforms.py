"""The sandbox's Graph API, blog feeds, Bluesky XRPC and media, over plain HTTP (no SDKs)."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devkit.sandbox import DatasetError, SandboxServer
from devkit.sandbox.graph import parse_fields
from devkit.sandbox.media_api import jpeg, png

TOKEN = "demo-sandbox-token"
PAGE, IG = "104000000000001", "17841400000000002"


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(timeout_delay=2.0) as server:
        yield server


def graph(sb: SandboxServer, path: str, **params: Any) -> requests.Response:
    params.setdefault("access_token", TOKEN)
    return requests.get(f"{sb.url}/v24.0/{path}", params=params, timeout=5)


# --- Graph ----------------------------------------------------------------------------------------


def test_graph_pages_newest_first_with_cursors_and_usage_headers(sb: SandboxServer) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"fields": "id,created_time", "limit": 4}
    while True:
        r = graph(sb, f"{PAGE}/posts", **params)
        assert r.status_code == 200
        assert json.loads(r.headers["X-App-Usage"])["call_count"] >= 0
        assert "X-Business-Use-Case-Usage" in r.headers
        body = r.json()
        seen += [p["id"] for p in body["data"]]
        assert all(p["created_time"].endswith("+0000") for p in body["data"])
        if "next" not in body["paging"]:
            break
        assert "access_token=" in body["paging"]["next"]
        params["after"] = body["paging"]["cursors"]["after"]
    assert seen == [f"{PAGE}_{n}" for n in (2006, 2011, 2005, 2004, 2003, 2002, 2001)]


def test_graph_since_and_until_are_inclusive_unix_seconds(sb: SandboxServer) -> None:
    since = 1794237600  # 2026-11-09T15:20:00Z, post 2004's own second
    ids = [p["id"] for p in graph(sb, f"{PAGE}/posts", since=since, until=since).json()["data"]]
    assert ids == [f"{PAGE}_2004"]


def test_graph_field_expansion_nests_a_thread(sb: SandboxServer) -> None:
    fields = "id,comments.filter(stream).limit(2){id,message,parent{id},from{name}}"
    post = graph(sb, f"{PAGE}_2002", fields=fields).json()
    comments = post["comments"]
    assert [c["id"] for c in comments["data"]] == ["2002_3001", "2002_3002"]
    assert "access_token" not in comments["paging"]["next"]
    rest = requests.get(
        comments["paging"]["next"].replace("https://graph.facebook.com", sb.url), timeout=5
    )
    assert rest.status_code == 400, "the link has no token: Graph refuses it until one is added"
    rest = requests.get(
        comments["paging"]["next"].replace("https://graph.facebook.com", sb.url),
        params={"access_token": TOKEN},
        timeout=5,
    )
    assert [(c["id"], c["parent"]["id"]) for c in rest.json()["data"]] == [
        ("2002_3003", "2002_3002")
    ]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("id", [("id", {}, None)]),
        ("a,b{c,d}", [("a", {}, None), ("b", {}, ["c", "d"])]),
        (
            "comments.limit(5).filter(stream){id}",
            [("comments", {"limit": "5", "filter": "stream"}, ["id"])],
        ),
    ],
)
def test_parse_fields(
    text: str, parsed: list[tuple[str, dict[str, str], list[str] | None]]
) -> None:
    out = [
        (
            s.name,
            dict(s.modifiers),
            [c.name for c in s.children] if s.children is not None else None,
        )
        for s in parse_fields(text)
    ]
    assert out == parsed


@pytest.mark.parametrize("bad", ["a{b", "a.limit", "a,,b", "{a}"])
def test_parse_fields_rejects_bad_syntax(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_fields(bad)


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (f"{PAGE}/posts", {"access_token": "nope"}, 190),
        ("999", {}, 100),
        (f"{PAGE}/media", {}, 100),
        (f"{PAGE}/posts", {"after": "%%%"}, 100),
    ],
)
def test_graph_errors_are_graph_shaped(
    sb: SandboxServer, path: str, params: dict[str, str], code: int
) -> None:
    r = graph(sb, path, **params)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == code and error["type"] and error["fbtrace_id"]


def test_graph_rate_limit_fault_says_when_access_returns(sb: SandboxServer) -> None:
    sb.add_fault(f"/v24.0/{PAGE}", "429", reset_in=300)
    r = graph(sb, f"{PAGE}/posts")
    assert r.json()["error"]["code"] == 80001
    (usage,) = json.loads(r.headers["X-Business-Use-Case-Usage"]).values()
    assert usage[0]["call_count"] == 100 and usage[0]["estimated_time_to_regain_access"] == 5


def test_graph_control_api(sb: SandboxServer) -> None:
    r = requests.post(
        f"{sb.url}/_sandbox/graph/posts",
        json={"owner": PAGE, "id": f"{PAGE}_2100", "text": "New post"},
        timeout=5,
    )
    assert r.status_code == 201
    assert (
        f"{PAGE}_2100"
        in requests.get(f"{sb.url}/_sandbox/graph/accounts/{PAGE}/ids", timeout=5).json()["data"]
    )
    assert (
        requests.post(f"{sb.url}/_sandbox/graph/posts", json={"owner": "1"}, timeout=5).status_code
        == 400
    )
    assert (
        requests.delete(f"{sb.url}/_sandbox/graph/objects/{PAGE}_2100", timeout=5).status_code
        == 200
    )
    assert graph(sb, f"{PAGE}_2100").json()["error"]["code"] == 100


# --- blog feeds -----------------------------------------------------------------------------------


def test_feeds_send_validators_and_answer_304(sb: SandboxServer) -> None:
    url = f"{sb.url}/blogs/oakfield-news/feed.xml"
    r = requests.get(url, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/rss+xml")
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=5).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": modified}, timeout=5).status_code == 304
    atom = requests.get(f"{sb.url}/blogs/riverside-sixth-form/feed.xml", timeout=5)
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    assert requests.get(f"{sb.url}/blogs/nope/feed.xml", timeout=5).status_code == 404


def test_a_feed_lists_only_its_newest_items(sb: SandboxServer) -> None:
    for n in range(12):
        sb.app.feeds.add_item(
            "oakfield-news",
            {"guid": f"tag:n{n}", "title": f"n{n}", "published": f"2026-11-20T10:{n:02d}:00Z"},
        )
    body = requests.get(f"{sb.url}/blogs/oakfield-news/feed.xml", timeout=5).text
    assert body.count("<item>") == 10 and "tag:n11" in body and "?p=301" not in body


# --- Bluesky --------------------------------------------------------------------------------------


def test_author_feed_pages_with_a_cursor_and_marks_reposts(sb: SandboxServer) -> None:
    url = f"{sb.url}/xrpc/app.bsky.feed.getAuthorFeed"
    params: dict[str, Any] = {"actor": "riverside-academy.bsky.social", "limit": 4}
    first = requests.get(url, params=params, timeout=5).json()
    assert len(first["feed"]) == 4 and first["cursor"]
    second = requests.get(url, params={**params, "cursor": first["cursor"]}, timeout=5).json()
    assert len(second["feed"]) == 4 and second["cursor"]
    third = requests.get(url, params={**params, "cursor": second["cursor"]}, timeout=5).json()
    assert "cursor" not in third
    items = first["feed"] + second["feed"] + third["feed"]
    reposts = [i for i in items if i.get("reason")]
    assert len(items) == 9 and len(reposts) == 2
    assert first["feed"][0]["reason"]["uri"].startswith("at://did:plc:riversideacademy0001/")
    assert reposts[0]["reason"]["$type"] == "app.bsky.feed.defs#reasonRepost"
    r = requests.get(url, params={"actor": "nobody.bsky.social"}, timeout=5)
    assert (r.status_code, r.json()["error"]) == (400, "InvalidRequest")


def test_create_session_checks_the_app_password(sb: SandboxServer) -> None:
    url = f"{sb.url}/xrpc/com.atproto.server.createSession"
    ok = requests.post(
        url, json={"identifier": "riverside-academy.bsky.social", "password": TOKEN}, timeout=5
    )
    assert ok.status_code == 200 and ok.json()["accessJwt"].count(".") == 2
    bad = requests.post(
        url, json={"identifier": "riverside-academy.bsky.social", "password": "x"}, timeout=5
    )
    assert (bad.status_code, bad.json()["error"]) == (401, "AuthenticationRequired")
    feed = requests.get(
        f"{sb.url}/xrpc/app.bsky.feed.getAuthorFeed",
        params={"actor": "did:plc:riversideacademy0001"},
        headers={"Authorization": "Bearer forged"},
        timeout=5,
    )
    assert (feed.status_code, feed.json()["error"]) == (400, "ExpiredToken")


# --- media and faults -----------------------------------------------------------------------------


def test_media_is_a_real_image_per_path(sb: SandboxServer) -> None:
    a = requests.get(f"{sb.url}/media/pbs.twimg.com/media/a.jpg", timeout=5)
    b = requests.get(f"{sb.url}/media/pbs.twimg.com/media/b.png", timeout=5)
    assert (
        a.headers["Content-Type"] == "image/jpeg"
        and a.content[:2] == b"\xff\xd8"
        and a.content[-2:] == b"\xff\xd9"
    )
    assert b.headers["Content-Type"] == "image/png" and b.content.startswith(b"\x89PNG")
    assert struct.unpack(">II", b.content[16:24]) == (64, 48)
    assert requests.get(f"{sb.url}/media/pbs.twimg.com/media/a.jpg", timeout=5).content == a.content


@pytest.mark.parametrize("level", [0, 127, 128, 255])
def test_the_jpeg_encoder_writes_a_frame_of_the_asked_size(level: int) -> None:
    data = jpeg(24, 16, level)
    frame = data.index(b"\xff\xc0")
    assert struct.unpack(">HH", data[frame + 5 : frame + 9]) == (16, 24)
    assert png(2, 2, (1, 2, 3)).startswith(b"\x89PNG")


def test_a_fault_can_let_the_first_requests_through(sb: SandboxServer) -> None:
    sb.add_fault("/blogs/", "503", times=1, after=2)
    statuses = [
        requests.get(f"{sb.url}/blogs/oakfield-news/feed.xml", timeout=5).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 503, 200]
    r = requests.post(
        f"{sb.url}/_sandbox/faults", json={"path": "/x", "mode": "500", "after": -1}, timeout=5
    )
    assert r.status_code == 400 and "after" in r.json()["error"]


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        (
            {"graph": {"accounts": [{"id": "1", "kind": "group", "name": "x"}]}},
            "graph.accounts[0].kind",
        ),
        (
            {"graph": {"posts": [{"owner": "7", "created_time": "2026-11-01T00:00:00Z"}]}},
            "no account 7",
        ),
        (
            {"feeds": {"blogs": [{"slug": "a", "title": "A", "link": "l", "format": "json"}]}},
            "format",
        ),
        ({"bluesky": {"accounts": [{"did": "plc:1", "handle": "h"}]}}, "is not a DID"),
    ],
)
def test_bad_platform_sections_name_the_place(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(DatasetError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        SandboxServer(section)


# --- the real shapes the sandbox serves (issue 11) ---------------------------------------------


def _x(sb: SandboxServer, user: str, **params: str) -> dict[str, Any]:
    r = requests.get(
        f"{sb.url}/2/users/{user}/tweets",
        params={"max_results": "100", **params},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_x_sends_long_posts_cut_with_the_whole_in_note_tweet(sb: SandboxServer) -> None:
    body = _x(sb, "1500000000000000001", **{"tweet.fields": "note_tweet,entities"})
    long = next(t for t in body["data"] if "note_tweet" in t)
    assert len(long["text"]) <= 280 and long["text"].endswith("\u2026")
    assert "07700 900461" in long["note_tweet"]["text"] and "07700 900461" not in long["text"]
    without = _x(sb, "1500000000000000001")
    assert not any("note_tweet" in t for t in without["data"])  # only when asked for


def test_x_retweets_are_cut_and_whole_in_includes(sb: SandboxServer) -> None:
    body = _x(
        sb,
        "1500000000000000001",
        **{"tweet.fields": "referenced_tweets", "expansions": "referenced_tweets.id"},
    )
    rt = next(t for t in body["data"] if t["text"].startswith("RT @OakfieldDrama: "))
    assert rt["text"].endswith("\u2026") and "note_tweet" not in rt
    (original,) = [
        t for t in body["includes"]["tweets"] if t["id"] == rt["referenced_tweets"][0]["id"]
    ]
    assert "Amelia Rose Carter (Year 6)" in original["text"]


def test_x_wraps_links_in_t_co_with_entities_and_escapes_text(sb: SandboxServer) -> None:
    body = _x(sb, "1500000000000000003", **{"tweet.fields": "entities"})
    post = next(t for t in body["data"] if "entities" in t)
    (url,) = post["entities"]["urls"]
    assert url["url"].startswith("https://t.co/") and url["url"] in post["text"]
    assert url["expanded_url"] == "https://bit.example/7Kp2Rr"
    assert post["text"][url["start"] : url["end"]] == url["url"]
    redirect = requests.head(f"{sb.url}/redirect/bit.example/7Kp2Rr", timeout=5)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "https://hot-singles-live.example/join?src=pe"


def test_graph_link_shares_and_albums_as_graph_shows_them(sb: SandboxServer) -> None:
    fields = "id,attachments{type,title,description,url,unshimmed_url,media,subattachments}"
    body = graph(sb, f"{PAGE}/posts", fields=fields, limit=50).json()
    share = next(
        a
        for p in body["data"]
        for a in p.get("attachments", {}).get("data", [])
        if a["type"] == "share"
    )
    assert share["url"].startswith("https://l.facebook.com/l.php?u=https%3A%2F%2Fmillbrook")
    assert "Jayden Osei (Year 5)" in share["title"]


def test_graph_time_based_paging_has_no_cursors(sb: SandboxServer) -> None:
    import dataclasses

    graph_api = sb.app.graph
    graph_api._accounts[PAGE] = dataclasses.replace(graph_api._accounts[PAGE], paging="time")
    first = graph(sb, f"{PAGE}/posts", limit=2).json()
    assert "cursors" not in first["paging"]
    assert "__paging_token=enc_" in first["paging"]["next"] and "until=" in first["paging"]["next"]


def test_bluesky_repost_reason_carries_its_record_and_posts_their_facets(sb: SandboxServer) -> None:
    url = f"{sb.url}/xrpc/app.bsky.feed.getAuthorFeed"
    feed = requests.get(
        url, params={"actor": "riverside-academy.bsky.social", "limit": 100}, timeout=5
    ).json()["feed"]
    top = feed[0]
    assert top["reason"]["uri"].startswith(
        "at://did:plc:riversideacademy0001/app.bsky.feed.repost/"
    )
    assert top["reason"]["indexedAt"] > top["post"]["indexedAt"]  # reposted later than written
    facet = next(i for i in feed if i["post"]["record"].get("facets"))
    feature = facet["post"]["record"]["facets"][0]["features"][0]
    assert feature["uri"] == "https://docs.example/d/9Qr4/edit#Y11-SEN-groups"
    card = next(i for i in feed if (i["post"].get("embed") or {}).get("external"))
    assert "Kira Patel (Year 13)" in card["post"]["embed"]["external"]["description"]


def test_a_raw_feed_is_served_as_written(sb: SandboxServer) -> None:
    raw = "<rss version='2.0'><channel><title>T &nbsp; &</title></channel></rss>"
    sb.app.feeds.load(
        {"blogs": [{"slug": "raw", "title": "T", "link": "https://r.example/", "raw": raw}]}, "t"
    )
    assert requests.get(f"{sb.url}/blogs/raw/feed.xml", timeout=5).text == raw

"""The sandbox speaks X API v2 like the recorded real answers, and its faults and control API work.

Everything here goes over real HTTP to a `SandboxServer` on 127.0.0.1 (plain `requests`, no
tweepy: the connector's own tests cover that path).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from devkit.sandbox import DEMO_DATASET, DatasetError, SandboxServer
from devkit.sandbox.x import DEMO_BEARER_TOKEN, snowflake_ms

# ../shared sits beside the clone (CI too); never copied into the repo.
FIXTURES = Path(
    os.environ.get(
        "POSTWARDEN_X_FIXTURES",
        Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "x-api-v2",
    )
)
OAKFIELD, RIVERSIDE, HUGHES, DRAMA = (f"150000000000000000{i}" for i in range(1, 5))
AUTH = {"Authorization": f"Bearer {DEMO_BEARER_TOKEN}"}
ALL_FIELDS = {
    "tweet.fields": "created_at,author_id,edit_history_tweet_ids,attachments,referenced_tweets",
    "expansions": "author_id,attachments.media_keys,referenced_tweets.id",
    "media.fields": "url,alt_text,type,preview_image_url",
    "user.fields": "username",
}


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(timeout_delay=5.0) as server:
        yield server


def timeline(sb: SandboxServer, user: str = OAKFIELD, **params: Any) -> requests.Response:
    return requests.get(f"{sb.url}/2/users/{user}/tweets", params=params, headers=AUTH, timeout=5)


def ids_of(sb: SandboxServer, user: str) -> list[str]:
    return [t["id"] for t in sb.tweets_of(user)]


# --- the demo dataset ------------------------------------------------------------------------


def test_demo_dataset_has_the_four_accounts_with_enough_tweets(sb: SandboxServer) -> None:
    users = {u["id"]: u["username"] for u in sb.app.x.users()}
    assert users == {
        OAKFIELD: "OakfieldPrimary",
        RIVERSIDE: "RiversideAcad",
        HUGHES: "MrHughesPE",
        DRAMA: "OakfieldDrama",
    }
    counts = {u: len(sb.tweets_of(u)) for u in users}
    assert all(8 <= counts[u] <= 16 for u in (OAKFIELD, RIVERSIDE, HUGHES)), counts
    assert counts[OAKFIELD] > 10, "pagination at max_results=5 needs three pages"
    assert 3 <= counts[DRAMA] < 8


def test_demo_ids_are_snowflakes_of_their_time_and_newest_first(sb: SandboxServer) -> None:
    for user in (OAKFIELD, RIVERSIDE, HUGHES, DRAMA):
        tweets = sb.tweets_of(user)
        assert [int(t["id"]) for t in tweets] == sorted(
            (int(t["id"]) for t in tweets), reverse=True
        )
        for t in tweets:
            created = datetime.fromisoformat(t["created_at"])
            assert abs(snowflake_ms(t["id"]) - created.timestamp() * 1000) < 1000
            assert created.year == 2026 and created.month == 11
            assert t["edit_history_tweet_ids"][-1] == t["id"]


def test_demo_breaches_cover_the_policy_and_contacts_are_fictional(sb: SandboxServer) -> None:
    everything = [t for u in (OAKFIELD, RIVERSIDE, HUGHES, DRAMA) for t in sb.tweets_of(u)]
    notes = " ".join(t.get("note", "") for t in everything)
    for topic in (
        "date of birth",
        "home street",
        "mobile number and email",
        "family circumstances",
        "supplier",
        "political",
        "offensive",
    ):
        assert topic in notes, topic
    assert any(t.get("note") for t in sb.tweets_of(DRAMA)), "the unapproved account breaches too"
    text = " ".join(t["text"] for t in everything)
    phones = re.findall(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b", text)
    assert phones, "the dataset should carry phone numbers"
    assert all(re.match(r"^(07700 ?900\d{3}|01632 ?960\d{3})$", p) for p in phones), phones
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    assert emails and all(e.endswith(("example.com", "example.org")) for e in emails), emails


def test_demo_dataset_accepts_the_demo_token() -> None:
    data = json.loads(DEMO_DATASET.read_text(encoding="utf-8"))
    assert DEMO_BEARER_TOKEN in data["x"]["bearer_tokens"]


# --- shape, compared with real recorded answers ------------------------------------------------


def test_a_bare_timeline_page_has_exactly_the_keys_real_x_sends(sb: SandboxServer) -> None:
    recorded = json.loads((FIXTURES / "test_client_get_users_tweets.0.json").read_text())["body"]
    ours = timeline(sb, max_results=5).json()
    assert set(ours) == set(recorded) == {"data", "meta"}
    assert {k for t in ours["data"] for k in t} == {k for t in recorded["data"] for k in t}
    assert set(ours["meta"]) == set(recorded["meta"])
    for key in ("id", "newest_id", "oldest_id"):
        value = ours["meta"].get(key) or ours["data"][0]["id"]
        assert isinstance(value, str) and value.isdigit()
    assert re.match(r"^[0-9a-z]+$", ours["meta"]["next_token"])


def test_a_full_page_is_newest_first_with_includes_and_consistent_meta(sb: SandboxServer) -> None:
    r = timeline(sb, max_results=10, **ALL_FIELDS)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert int(r.headers["x-rate-limit-remaining"]) < int(r.headers["x-rate-limit-limit"])
    body = r.json()
    data, meta = body["data"], body["meta"]
    assert [t["id"] for t in data] == ids_of(sb, OAKFIELD)[:10]
    assert meta["result_count"] == len(data) == 10
    assert (meta["newest_id"], meta["oldest_id"]) == (data[0]["id"], data[-1]["id"])
    assert all(t["author_id"] == OAKFIELD and t["created_at"].endswith("Z") for t in data)
    assert body["includes"]["users"] == [
        {"id": OAKFIELD, "name": "Oakfield Primary School", "username": "OakfieldPrimary"}
    ]
    keys = {k for t in data for k in t.get("attachments", {}).get("media_keys", [])}
    media = {m["media_key"]: m for m in body["includes"]["media"]}
    assert keys == set(media) and keys
    for m in media.values():
        assert m["alt_text"]
        assert ("url" in m) == (m["type"] == "photo")
        assert ("preview_image_url" in m) == (m["type"] != "photo")
    edited = [t for t in data if len(t["edit_history_tweet_ids"]) > 1]
    assert edited, "the demo has an edited tweet"


def test_fields_not_asked_for_are_not_sent(sb: SandboxServer) -> None:
    data = timeline(sb, max_results=5, **{"tweet.fields": "lang"}).json()["data"]
    assert {k for t in data for k in t} == {"id", "text", "edit_history_tweet_ids", "lang"}


def test_a_retweet_expands_the_original_and_a_missing_one_is_reported(sb: SandboxServer) -> None:
    body = timeline(sb, RIVERSIDE, max_results=100, **ALL_FIELDS).json()
    rt = next(t for t in body["data"] if t["text"].startswith("RT @OakfieldPrimary"))
    (ref,) = rt["referenced_tweets"]
    assert ref["type"] == "retweeted" and ref["id"] in ids_of(sb, OAKFIELD)
    assert ref["id"] in {t["id"] for t in body["includes"]["tweets"]}
    assert "errors" not in body

    assert sb.delete_tweet(ref["id"])
    body = timeline(sb, RIVERSIDE, max_results=100, **ALL_FIELDS).json()
    assert ref["id"] not in {t["id"] for t in body["includes"]["tweets"]}
    assert body["errors"] == [
        {
            "value": ref["id"],
            "detail": f"Could not find tweet with referenced_tweets.id: [{ref['id']}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "referenced_tweets.id",
            "resource_id": ref["id"],
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    assert rt["id"] in {t["id"] for t in body["data"]}, "partial errors keep the data"


def test_an_empty_result_is_just_a_zero_count(sb: SandboxServer) -> None:
    newest = ids_of(sb, OAKFIELD)[0]
    r = timeline(sb, since_id=newest, **ALL_FIELDS)
    assert (r.status_code, r.json()) == (200, {"meta": {"result_count": 0}})


def test_default_page_size_is_ten(sb: SandboxServer) -> None:
    body = timeline(sb).json()
    assert body["meta"]["result_count"] == 10 and "next_token" in body["meta"]


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [("5", 200), ("100", 200), ("4", 400), ("101", 400), ("0", 400), ("abc", 400), ("", 400)],
)
def test_max_results_must_be_5_to_100(sb: SandboxServer, value: str, status: int) -> None:
    r = timeline(sb, max_results=value)
    assert r.status_code == status
    if status == 400:
        body = r.json()
        assert body["title"] == "Invalid Request"
        assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
        assert body["errors"] == [
            {
                "parameters": {"max_results": [value]},
                "message": f"The `max_results` query parameter value [{value}] is not between "
                "5 and 100",
            }
        ]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"since_id": "abc"}, "since_id"),
        ({"until_id": "12345678901234567890"}, "until_id"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "2026-11-01T00:00:00"}, "start_time"),  # no zone
        ({"end_time": "2009-01-01T00:00:00Z"}, "end_time"),  # before X existed
        ({"pagination_token": "not-a-token"}, "pagination_token"),
        ({"tweet.fields": "created_at,colour"}, "tweet.fields"),
        ({"expansions": "author"}, "expansions"),
        ({"media.fields": "alt"}, "media.fields"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_parameters_are_xs_400(sb: SandboxServer, params: dict[str, str], bad: str) -> None:
    r = timeline(sb, **params)
    assert r.status_code == 400
    assert [list(e["parameters"]) for e in r.json()["errors"]] == [[bad]]


def _created(t: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(t["created_at"])


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"since_id": 4}, lambda i, t, ids: i < 4),
        ({"until_id": 4}, lambda i, t, ids: i > 4),
        ({"since_id": 8, "until_id": 3}, lambda i, t, ids: 3 < i < 8),
        (
            {"start_time": "2026-11-12T00:00:00Z"},
            lambda i, t, ids: _created(t) >= datetime(2026, 11, 12, tzinfo=UTC),
        ),
        (
            {"end_time": "2026-11-12T00:00:00Z"},
            lambda i, t, ids: _created(t) < datetime(2026, 11, 12, tzinfo=UTC),
        ),
    ],
    ids=["since_id", "until_id", "both_ids", "start_time", "end_time"],
)
def test_filters_select_like_x(sb: SandboxServer, params: dict[str, Any], keep: Any) -> None:
    upstream = sb.tweets_of(OAKFIELD)  # newest first; ints below index into it
    ids = [t["id"] for t in upstream]
    query = {k: (ids[v] if k.endswith("_id") else v) for k, v in params.items()}
    expected = [t["id"] for i, t in enumerate(upstream) if keep(i, t, ids)]
    got = timeline(sb, max_results=100, **query).json().get("data", [])
    assert [t["id"] for t in got] == expected
    assert 0 < len(expected) < len(ids)


def test_exclude_retweets_and_replies(sb: SandboxServer) -> None:
    everything = timeline(sb, RIVERSIDE, max_results=100).json()["data"]
    fewer = timeline(sb, RIVERSIDE, max_results=100, exclude="retweets,replies").json()["data"]
    assert len(everything) - len(fewer) == 2
    assert not any(t["text"].startswith("RT @") for t in fewer)


def test_next_tokens_walk_the_whole_timeline_exactly_once(sb: SandboxServer) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"max_results": 5}
    pages = 0
    while True:
        body = timeline(sb, **params).json()
        pages += 1
        seen += [t["id"] for t in body.get("data", [])]
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]
    assert seen == ids_of(sb, OAKFIELD)
    assert pages == 3


def test_a_new_tweet_posted_mid_walk_does_not_shift_the_pages(sb: SandboxServer) -> None:
    first = timeline(sb, max_results=5).json()
    sb.add_tweet(OAKFIELD, "Breaking: the hall is flooded; assembly moves to the playground.")
    second = timeline(sb, max_results=5, pagination_token=first["meta"]["next_token"]).json()
    assert second["data"][0]["id"] == ids_of(sb, OAKFIELD)[6]


# --- auth and users ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {DEMO_BEARER_TOKEN}"},
        {"Authorization": DEMO_BEARER_TOKEN},
    ],
    ids=["missing", "unknown", "basic", "no-scheme"],
)
@pytest.mark.parametrize(
    "path", [f"/2/users/{OAKFIELD}/tweets", f"/2/users/{OAKFIELD}", "/2/users/by/username/x"]
)
def test_without_a_known_bearer_token_x_says_401(
    sb: SandboxServer, headers: dict[str, str], path: str
) -> None:
    r = requests.get(sb.url + path, headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.json() == {
        "title": "Unauthorized",
        "detail": "Unauthorized",
        "type": "about:blank",
        "status": 401,
    }


def test_extra_tokens_are_accepted_alongside_the_datasets() -> None:
    with SandboxServer(tokens={"another"}) as server:
        for token in ("another", DEMO_BEARER_TOKEN):
            r = requests.get(
                f"{server.url}/2/users/{OAKFIELD}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            assert r.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/2/users/by/username/oakfieldprimary", {}, {"id": OAKFIELD}),
        ("/2/users/by/username/MrHughesPE", {}, {"id": HUGHES, "username": "MrHughesPE"}),
        (f"/2/users/{RIVERSIDE}", {}, {"name": "Riverside Academy"}),
        (
            f"/2/users/{DRAMA}",
            {"user.fields": "created_at,description"},
            {"username": "OakfieldDrama", "created_at": "2022-03-05T11:45:00.000Z"},
        ),
    ],
)
def test_user_lookup(sb: SandboxServer, path: str, params: dict[str, str], expected: dict) -> None:
    r = requests.get(sb.url + path, params=params, headers=AUTH, timeout=5)
    assert r.status_code == 200
    data = r.json()["data"]
    assert expected.items() <= data.items()
    assert set(data) == {"id", "name", "username"} | set(
        params.get("user.fields", "").split(",")
    ) - {""}


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/2/users/by/username/NoSuchSchool", "username"),
        ("/2/users/1234", "id"),
        ("/2/users/1234/tweets", "id"),
    ],
)
def test_a_missing_user_is_a_200_with_errors(sb: SandboxServer, path: str, parameter: str) -> None:
    r = requests.get(sb.url + path, headers=AUTH, timeout=5)
    assert r.status_code == 200
    (error,) = r.json()["errors"]
    assert error["parameter"] == parameter and error["title"] == "Not Found Error"
    assert "data" not in r.json()


def test_unknown_paths_and_methods(sb: SandboxServer) -> None:
    assert requests.get(f"{sb.url}/2/spaces", headers=AUTH, timeout=5).status_code == 404
    assert requests.get(f"{sb.url}/nothing", headers=AUTH, timeout=5).status_code == 404
    r = requests.post(f"{sb.url}/2/users/{OAKFIELD}/tweets", headers=AUTH, timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


# --- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "title"),
    [
        ("429", 429, "Too Many Requests"),
        ("500", 500, "Internal Server Error"),
        ("503", 503, "Service Unavailable"),
        ("expired", 401, "Unauthorized"),
    ],
)
def test_error_faults_answer_with_xs_problem_body(
    sb: SandboxServer, mode: str, status: int, title: str
) -> None:
    r = requests.post(
        f"{sb.url}/_sandbox/faults",
        json={"path": f"/2/users/{OAKFIELD}/tweets", "mode": mode, "times": 1, "reset_in": 120},
        timeout=5,
    )
    assert r.status_code == 201 and r.json()["fault"]["mode"] == mode
    faulted = timeline(sb)
    assert faulted.status_code == status
    assert faulted.json() == {
        "title": title,
        "detail": title,
        "type": "about:blank",
        "status": status,
    }
    if mode == "429":
        assert faulted.headers["x-rate-limit-remaining"] == "0"
        assert int(faulted.headers["x-rate-limit-limit"]) > 0
        assert abs(int(faulted.headers["x-rate-limit-reset"]) - (time.time() + 120)) < 5
    assert timeline(sb).status_code == 200, "times=1: the next request is normal again"


def test_malformed_is_a_200_with_truncated_json(sb: SandboxServer) -> None:
    sb.add_fault(f"/2/users/{OAKFIELD}/tweets", "malformed")
    r = timeline(sb, **ALL_FIELDS)
    assert r.status_code == 200
    assert r.content.startswith(b'{"data": [{"id": "')
    with pytest.raises(ValueError):
        r.json()


def test_timeout_holds_the_answer_past_the_clients_timeout(sb: SandboxServer) -> None:
    sb.add_fault(f"/2/users/{OAKFIELD}/tweets", "timeout", times=2, delay=0.6)
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{sb.url}/2/users/{OAKFIELD}/tweets", headers=AUTH, timeout=0.2)
    started = time.monotonic()
    slow = requests.get(f"{sb.url}/2/users/{OAKFIELD}/tweets", headers=AUTH, timeout=3)
    assert slow.status_code == 200 and time.monotonic() - started >= 0.5
    assert sb.faults() == []


def test_faults_match_by_path_prefix_and_count_down(sb: SandboxServer) -> None:
    sb.add_fault(f"/2/users/{OAKFIELD}", "503", times=2)
    assert timeline(sb, RIVERSIDE).status_code == 200
    assert requests.get(f"{sb.url}/2/users/{OAKFIELD}", headers=AUTH, timeout=5).status_code == 503
    assert sb.faults()[0]["times"] == 1 and sb.faults()[0]["hits"] == 1
    assert timeline(sb).status_code == 503
    assert timeline(sb).status_code == 200


def test_a_fault_without_times_lasts_until_cleared(sb: SandboxServer) -> None:
    sb.add_fault("/2/", "500", times=None)
    assert [timeline(sb).status_code for _ in range(3)] == [500, 500, 500]
    listed = requests.get(f"{sb.url}/_sandbox/faults", timeout=5).json()["faults"]
    assert [(f["mode"], f["times"], f["hits"]) for f in listed] == [("500", None, 3)]
    assert requests.delete(f"{sb.url}/_sandbox/faults", timeout=5).json() == {"cleared": 1}
    assert timeline(sb).status_code == 200


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"path": "/2/users", "mode": "418"}, "mode"),
        ({"path": "2/users", "mode": "500"}, "path"),
        ({"path": "/_sandbox/faults", "mode": "500"}, "control API"),
        ({"path": "/2/", "mode": "500", "times": 0}, "times"),
        ({"path": "/2/", "mode": "timeout", "delay": -1}, "delay"),
        ({"path": "/2/", "mode": "500", "when": "now"}, "unknown"),
        ([], "object"),
    ],
)
def test_bad_fault_bodies_are_400(sb: SandboxServer, body: Any, complaint: str) -> None:
    r = requests.post(f"{sb.url}/_sandbox/faults", json=body, timeout=5)
    assert r.status_code == 400 and complaint in r.json()["error"]
    assert sb.faults() == []


# --- control API: tweets, request log, reset -----------------------------------------------------


def test_posting_and_deleting_tweets_through_the_control_api(sb: SandboxServer) -> None:
    before = ids_of(sb, RIVERSIDE)
    r = requests.post(
        f"{sb.url}/_sandbox/x/tweets",
        json={"username": "riversideacad", "text": "Snow day! The academy is closed today."},
        timeout=5,
    )
    assert r.status_code == 201
    new = r.json()["data"]
    assert new["author_id"] == RIVERSIDE and int(new["id"]) > int(before[0])
    assert new["edit_history_tweet_ids"] == [new["id"]]
    assert timeline(sb, RIVERSIDE).json()["data"][0]["id"] == new["id"]
    listed = requests.get(f"{sb.url}/_sandbox/x/users/{RIVERSIDE}/tweets", timeout=5).json()
    assert [t["id"] for t in listed["data"]] == [new["id"], *before]

    gone = requests.delete(f"{sb.url}/_sandbox/x/tweets/{before[1]}", timeout=5)
    assert (gone.status_code, gone.json()) == (200, {"data": {"deleted": True}})
    assert before[1] not in ids_of(sb, RIVERSIDE)
    assert requests.delete(f"{sb.url}/_sandbox/x/tweets/{before[1]}", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"author_id": "42", "text": "hello"}, "tweet.author_id: no user with id 42"),
        ({"username": "nobody", "text": "hello"}, "no user 'nobody'"),
        ({"author_id": OAKFIELD}, "missing required field 'text'"),
        ({"author_id": OAKFIELD, "text": "x", "created_at": "soon"}, "created_at"),
        ({"author_id": OAKFIELD, "text": "x", "id": "123"}, "snowflake"),
        ({"author_id": OAKFIELD, "text": "x", "media": [{"type": "gif"}]}, "media[0]"),
    ],
)
def test_bad_tweets_are_400_naming_the_field(sb: SandboxServer, body: dict, complaint: str) -> None:
    r = requests.post(f"{sb.url}/_sandbox/x/tweets", json=body, timeout=5)
    assert r.status_code == 400
    assert complaint in r.json()["error"]
    assert r.json()["error"].startswith("POST /_sandbox/x/tweets: ")


def test_add_tweet_in_python_takes_dataset_fields(sb: SandboxServer) -> None:
    new = sb.add_tweet(
        HUGHES,
        "Netball tonight is in the sports hall.",
        created_at=datetime(2026, 11, 24, 18, 0, tzinfo=UTC),
        media=[{"media_key": "3_99", "type": "photo", "url": "https://example.org/hall.jpg"}],
    )
    assert (
        abs(snowflake_ms(new["id"]) - datetime(2026, 11, 24, 18, tzinfo=UTC).timestamp() * 1000)
        < 1000
    )
    body = timeline(sb, HUGHES, **ALL_FIELDS).json()
    assert body["includes"]["media"][0]["url"] == "https://example.org/hall.jpg"


def test_the_request_log_counts_api_reads_only(sb: SandboxServer) -> None:
    timeline(sb, max_results=5)
    timeline(sb, RIVERSIDE)
    requests.get(f"{sb.url}/2/users/{HUGHES}", headers=AUTH, timeout=5)
    requests.get(f"{sb.url}/_sandbox/health", timeout=5)
    assert sb.request_count() == 3
    assert sb.request_count(f"/2/users/{OAKFIELD}/tweets") == 1
    body = requests.get(
        f"{sb.url}/_sandbox/requests", params={"path": f"/2/users/{RIVERSIDE}"}, timeout=5
    ).json()
    assert body["count"] == 1
    (entry,) = body["requests"]
    assert (entry["method"], entry["status"], entry["fault"]) == ("GET", 200, None)
    assert DEMO_BEARER_TOKEN not in json.dumps(sb.requests()), "the log never keeps headers"
    assert requests.delete(f"{sb.url}/_sandbox/requests", timeout=5).json() == {"cleared": 3}
    assert sb.request_count() == 0


def test_faulted_requests_are_logged_with_their_mode(sb: SandboxServer) -> None:
    sb.add_fault("/2/", "429")
    timeline(sb)
    assert [(e["status"], e["fault"]) for e in sb.requests()] == [(429, "429")]


def test_reset_restores_the_dataset_and_clears_faults_and_log(sb: SandboxServer) -> None:
    original = ids_of(sb, OAKFIELD)
    sb.delete_tweet(original[0])
    sb.add_tweet(OAKFIELD, "temporary")
    sb.add_fault("/2/", "500", times=None)
    timeline(sb)
    assert requests.post(f"{sb.url}/_sandbox/reset", timeout=5).json() == {"status": "reset"}
    assert ids_of(sb, OAKFIELD) == original
    assert (sb.faults(), sb.request_count()) == ([], 0)


def test_health_and_unknown_control_routes(sb: SandboxServer) -> None:
    assert requests.get(f"{sb.url}/_sandbox/health", timeout=5).json() == {
        "status": "ok",
        "platforms": ["x", "graph", "feeds", "bluesky", "media", "links"],
    }
    assert requests.get(f"{sb.url}/_sandbox/nothing", timeout=5).status_code == 404


# --- datasets ----------------------------------------------------------------------------------

USER = {"id": "42", "username": "TestSchool", "name": "Test School"}
TWEET = {
    "id": "2117161036845572023",
    "author_id": "42",
    "created_at": "2026-11-02T07:45:00.000Z",
    "text": "hi",
}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"x": {"users": [}', "invalid JSON at line 1 column 18"),
        ("[]", "top level must be a JSON object, got an array"),
        ('{"twitter": {}}', "unknown top-level section(s) 'twitter'"),
        ({"x": {"users": {}}}, "x.users: expected an array, got an object"),
        ({"x": {"users": [{**USER, "id": 42}]}}, "x.users[0].id: expected a non-empty string"),
        ({"x": {"users": [{**USER, "username": "has space"}]}}, "x.users[0].username"),
        ({"x": {"users": [USER, USER]}}, "x.users[1].id: duplicate user id 42"),
        (
            {"x": {"users": [USER], "tweets": [{**TWEET, "author_id": "7"}]}},
            "x.tweets[0].author_id",
        ),
        (
            {"x": {"users": [USER], "tweets": [{**TWEET, "created_at": "2026-13-01T00:00:00Z"}]}},
            "x.tweets[0].created_at: '2026-13-01T00:00:00Z' is not an ISO 8601 timestamp",
        ),
        (
            {"x": {"users": [USER], "tweets": [{**TWEET, "created_at": "2026-11-02T07:45:00"}]}},
            "has no time zone",
        ),
        ({"x": {"users": [USER], "tweets": [{**TWEET, "id": "1"}]}}, "x.tweets[0].id: 1 encodes"),
        ({"x": {"users": [USER], "tweets": [TWEET, TWEET]}}, "x.tweets[1].id: duplicate tweet id"),
        ({"x": {"users": [USER], "tweets": [{**TWEET, "text": ""}]}}, "x.tweets[0].text"),
        (
            {"x": {"users": [USER], "tweets": [{**TWEET, "create_at": "x"}]}},
            "unknown field(s) 'create_at'",
        ),
        (
            {"x": {"users": [USER], "tweets": [{**TWEET, "edit_history_tweet_ids": ["5"]}]}},
            "x.tweets[0].edit_history_tweet_ids",
        ),
        ({"x": {"bearer_tokens": [""]}}, "x.bearer_tokens[0]"),
    ],
)
def test_a_malformed_dataset_names_the_file_and_the_problem(
    tmp_path: Path, content: str | dict, problem: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        SandboxServer(dataset=path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_a_missing_dataset_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetError, match=re.escape(str(tmp_path / "nope.json")) + ": cannot read"
    ):
        SandboxServer(dataset=tmp_path / "nope.json")


def test_a_valid_custom_dataset_is_served(tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text(json.dumps({"x": {"bearer_tokens": ["t"], "users": [USER], "tweets": [TWEET]}}))
    with SandboxServer(dataset=path) as server:
        r = requests.get(
            f"{server.url}/2/users/42/tweets", headers={"Authorization": "Bearer t"}, timeout=5
        )
        assert [t["text"] for t in r.json()["data"]] == ["hi"]


# --- lifecycle ---------------------------------------------------------------------------------


def test_stop_releases_the_port_and_is_idempotent() -> None:
    server = SandboxServer().start()
    url = server.url
    assert requests.get(f"{url}/_sandbox/health", timeout=5).status_code == 200
    server.stop()
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/health", timeout=1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_stop_does_not_wait_for_a_held_timeout() -> None:
    server = SandboxServer(timeout_delay=30).start()
    server.add_fault("/2/", "timeout")
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{server.url}/2/users/{OAKFIELD}/tweets", headers=AUTH, timeout=0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_then_signal(
    code: str, port: int, sig: signal.Signals, between: Callable[[], None] = lambda: None
) -> tuple[int, str, str]:
    """Run `code` (which calls serve() on `port`) in a fresh interpreter; once the banner's first
    line names the URL, run `between`, send `sig`, and return (returncode, stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()
        between()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_serve_runs_until_interrupted(sig: signal.Signals) -> None:
    port = _free_port()
    # Started as a background job of a non-interactive shell would be: SIGINT ignored.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        f"from devkit.sandbox.server import serve; serve('127.0.0.1', {port}, None)"
    )

    def served() -> None:
        r = requests.get(f"http://127.0.0.1:{port}/2/users/{OAKFIELD}", headers=AUTH, timeout=5)
        assert r.json()["data"]["username"] == "OakfieldPrimary"

    returncode, out, err = _serve_then_signal(code, port, sig, served)
    assert returncode == 0, err
    assert "stopped" in out


def test_a_signal_while_the_banner_prints_still_stops_cleanly() -> None:
    """SIGTERM as soon as the first banner line is out (a slow print stands in for a busy
    machine): the server stops and says so, no traceback."""
    port = _free_port()
    code = (
        "import builtins, time\n"
        "_print = builtins.print\n"
        "def slow(*a, **k):\n"
        "    _print(*a, **k)\n"
        "    time.sleep(0.5)\n"
        "builtins.print = slow\n"
        "from devkit.sandbox.server import serve\n"
        f"serve('127.0.0.1', {port}, None)\n"
    )
    returncode, out, err = _serve_then_signal(code, port, signal.SIGTERM)
    assert returncode == 0, err
    assert "stopped" in out


def test_a_new_post_is_the_newest_even_if_the_clock_is_behind_the_dataset(
    sb: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import devkit.sandbox.x.api as x_api

    class EarlyClock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime(2025, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(x_api, "datetime", EarlyClock)
    new = sb.add_tweet(DRAMA, "Posted from a machine whose clock is wrong.")
    newest = max(t["created_at"] for u in (OAKFIELD, RIVERSIDE, HUGHES) for t in sb.tweets_of(u))
    assert new["created_at"] > newest
    assert ids_of(sb, DRAMA)[0] == new["id"]

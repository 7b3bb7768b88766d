"""Single sign-on against a local fake OpenID provider over real HTTP on 127.0.0.1: discovery,
JWKS, an authorisation endpoint and a token endpoint that checks PKCE and signs the id_token.
Entra ID and Google Workspace speak this same authorisation-code flow."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlmodel import Session, select

from postwarden.settings import OIDCProvider, Settings
from review.web.app import create_app
from storage.review_models import AuditLog, UserAccount
from tests.review.conftest import World, email
from tests.support import settings_with

CLIENT_ID, CLIENT_SECRET = "postwarden-review", "s3cret-from-the-environment"


class FakeProvider:
    """Just enough of an OpenID provider; `next_user` and `tamper` steer the next sign-in."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, dict[str, str]] = {}
        self.next_user: dict[str, Any] = {}
        self.tamper: str = ""
        self.token_calls = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_a: object) -> None:
                pass

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = q
                    target = (
                        q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                    )
                    self.send_response(302)
                    self.send_header("location", target)
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_calls += 1
                auth = self.headers.get("authorization", "")
                expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if auth != f"Basic {expected}":
                    return self._json(401, {"error": "invalid_client"})
                request = provider.codes.pop(form.get("code", ""), None)
                if request is None or form.get("redirect_uri") != request["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                if challenge.rstrip(b"=").decode() != request.get("code_challenge"):
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                self._json(200, provider.tokens(request))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self) -> dict[str, object]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def tokens(self, request: dict[str, str]) -> dict[str, object]:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": request.get("nonce"),
            "email_verified": True,
            **self.next_user,
        }
        if self.tamper == "audience":
            claims["aud"] = "someone-else"
        elif self.tamper == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.tamper == "nonce":
            claims["nonce"] = "replayed"
        elif self.tamper == "issuer":
            claims["iss"] = "https://evil.example"
        key = self.rogue_key if self.tamper == "signature" else self.key
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": token}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def op() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    yield provider
    provider.close()


@pytest.fixture
def sso(sqlite_settings: Settings, sqlite_world: World, op: FakeProvider, monkeypatch) -> Settings:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TEST_OIDC_SECRET", CLIENT_SECRET)
    return settings_with(
        sqlite_settings,
        review={"base_url": "http://testserver"},
        web={
            "oidc_providers": [
                OIDCProvider(
                    name="entra",
                    label="Sign in with Microsoft",
                    discovery_url=f"{op.url}/.well-known/openid-configuration",
                    client_id=CLIENT_ID,
                    client_secret_env="TEST_OIDC_SECRET",
                    allowed_domains=["trust.example"],
                )
            ]
        },
    )


def _sign_in(app: TestClient) -> httpx.Response:
    """Browser-like: start at Postwarden, follow the provider's redirect back, land signed in."""
    start = app.get("/login/oidc/entra", follow_redirects=False)
    assert start.status_code == 302
    authorize = start.headers["location"]
    assert authorize.startswith(f"{urlsplit(authorize).scheme}://127.0.0.1")
    params = parse_qs(urlsplit(authorize).query)
    assert params["code_challenge_method"] == ["S256"] and params["nonce"] and params["state"]
    assert params["scope"] == ["openid email profile"]
    back = httpx.get(authorize, follow_redirects=False)  # the provider, over real HTTP
    callback = urlsplit(back.headers["location"])
    return app.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def _login(settings: Settings, key: str) -> UserAccount:
    with Session(settings.engine) as s:
        user = s.exec(select(UserAccount).where(UserAccount.username == email(key))).one()
        return user


def test_first_sign_in_links_the_identity_then_the_subject_is_what_counts(
    sso: Settings, op: FakeProvider
) -> None:
    app = TestClient(create_app(sso), base_url="http://testserver")
    assert "Sign in with Microsoft" in app.get("/login").text
    op.next_user = {"sub": "entra-oid-123", "email": email("creator_a").upper()}
    r = _sign_in(app)
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    assert "Priya Shah" in app.get("/queue").text
    user = _login(sso, "creator_a")
    assert (user.oidc_issuer, user.oidc_subject) == (op.url, "entra-oid-123")
    assert user.sso and user.password_hash is None, "the password no longer bypasses the MFA"

    other = TestClient(create_app(sso), base_url="http://testserver")
    op.next_user = {"sub": "entra-oid-123", "email": "renamed@trust.example"}
    assert _sign_in(other).status_code == 303, "the (issuer, subject) pair, not the e-mail"
    with Session(sso.engine) as s:
        actions = s.exec(select(AuditLog.action, AuditLog.detail)).all()
    assert ("sso_linked", "provider entra; its password removed") in actions
    assert actions.count(("login", "single sign-on (entra)")) == 2


@pytest.mark.parametrize(
    ("user", "tamper", "message"),
    [
        ({"sub": "x1", "email": "stranger@trust.example"}, "", "no Postwarden log-in"),
        (
            {"sub": "x2", "email": email("it").replace("trust.example", "gmail.com")},
            "",
            "may not sign in",
        ),
        ({"sub": "x3", "email": email("it"), "email_verified": False}, "", "not verified"),
        ({"sub": "x4", "email": email("it")}, "audience", "could not be verified"),
        ({"sub": "x5", "email": email("it")}, "expired", "could not be verified"),
        ({"sub": "x6", "email": email("it")}, "nonce", "could not be verified"),
        ({"sub": "x7", "email": email("it")}, "issuer", "could not be verified"),
        ({"sub": "x8", "email": email("it")}, "signature", "could not be verified"),
    ],
)
def test_sign_ins_that_must_fail(
    sso: Settings, op: FakeProvider, user: dict[str, object], tamper: str, message: str
) -> None:
    app = TestClient(create_app(sso), base_url="http://testserver")
    op.next_user, op.tamper = user, tamper
    r = _sign_in(app)
    assert r.status_code == 403 and message in r.text
    assert app.get("/queue", follow_redirects=False).status_code == 303, "not signed in"
    assert _login(sso, "it").oidc_subject is None


def test_a_callback_without_a_started_sign_in_is_refused(sso: Settings, op: FakeProvider) -> None:
    app = TestClient(create_app(sso), base_url="http://testserver")
    r = app.get("/login/oidc/entra/callback?code=abc&state=forged", follow_redirects=False)
    assert r.status_code == 403 and op.token_calls == 0


def test_unknown_provider_is_404(sso: Settings) -> None:
    app = TestClient(create_app(sso), base_url="http://testserver")
    assert app.get("/login/oidc/google", follow_redirects=False).status_code == 404


def test_the_providers_error_text_is_never_shown_nor_audited(
    sso: Settings, op: FakeProvider
) -> None:
    """The finding: `error_description` from an unauthenticated link showed on the sign-in page
    (a phishing message in Postwarden's voice) and wrote an audit row per hit."""
    app = TestClient(create_app(sso), base_url="http://testserver")
    lure = "Your account is locked. Call 0800 123 4567 to unlock it"
    r = app.get(
        "/login/oidc/entra/callback",
        params={"error": "access_denied", "error_description": lure, "state": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "0800" not in r.text and "locked" not in r.text and "access_denied" not in r.text
    assert "Single sign-on did not work" in r.text
    with Session(sso.engine) as s:
        assert s.exec(select(AuditLog)).all() == [], "no audit row for an unauthenticated hit"
    assert op.token_calls == 0


def test_the_callback_is_throttled(sso: Settings, op: FakeProvider) -> None:
    cfg = settings_with(sso, web={"address_failures_free": 5})
    app = TestClient(create_app(cfg), base_url="http://testserver")
    statuses = [
        app.get(
            "/login/oidc/entra/callback?code=abc&state=forged", follow_redirects=False
        ).status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [403] * 5 and set(statuses[5:]) == {429}
    with Session(cfg.engine) as s:
        assert s.exec(select(AuditLog)).all() == []

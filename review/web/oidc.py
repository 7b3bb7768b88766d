"""OpenID Connect sign-in (Microsoft Entra ID, Google Workspace) through authlib's Starlette client.

Providers come from settings; each client secret from the environment variable the provider names.
Authorisation code flow with PKCE; authlib checks the id_token's signature (JWKS), issuer,
audience, expiry and nonce. A sign-in is accepted only for a person IT gave a log-in: their
(issuer, subject) pair, or on the first sign-in their e-mail in an allowed domain. From then on the
log-in is single sign-on only: a password left on it would bypass the provider's MFA, so it goes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from authlib.integrations.starlette_client import OAuth
from sqlmodel import Session, select

from postwarden.settings import OIDCProvider, Settings
from storage.review_crud import audit, user_by_username
from storage.review_models import UserAccount


def build_oauth(settings: Settings) -> OAuth:
    oauth = OAuth()
    for p in settings.web.oidc_providers:
        oauth.register(
            name=p.name,
            server_metadata_url=p.discovery_url,
            client_id=p.client_id,
            client_secret=os.environ.get(p.client_secret_env, ""),
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
    return oauth


def provider(settings: Settings, name: str) -> OIDCProvider | None:
    return next((p for p in settings.web.oidc_providers if p.name == name), None)


def _email(claims: Mapping[str, Any]) -> str | None:
    # Google sends `email` (+ email_verified); Entra ID often only `preferred_username` (a UPN).
    value = claims.get("email") or claims.get("preferred_username")
    return str(value).strip().lower() if value and "@" in str(value) else None


def match_user(
    session: Session, *, cfg: OIDCProvider, claims: Mapping[str, Any]
) -> tuple[UserAccount | None, str]:
    """The log-in these verified claims belong to, and a reason when there is none."""
    iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
    if not iss or not sub:
        return None, "the provider sent no issuer or subject"
    user = session.exec(
        select(UserAccount).where(UserAccount.oidc_issuer == iss, UserAccount.oidc_subject == sub)
    ).first()
    if user is not None:
        return user, ""
    email = _email(claims)
    if email is None:
        return None, "the provider sent no e-mail address"
    if claims.get("email_verified") is False:
        return None, "the provider has not verified this e-mail address"
    domain = email.rpartition("@")[2]
    if cfg.allowed_domains and domain not in {d.lower() for d in cfg.allowed_domains}:
        return None, "accounts of that e-mail domain may not sign in here"
    user = user_by_username(session, username=email)
    if user is None:
        return None, "there is no Postwarden log-in for this person; ask the Director of IT"
    if user.oidc_subject is not None:
        return None, "this log-in is already linked to another single sign-on identity"
    had_password = user.password_hash is not None
    user.oidc_issuer, user.oidc_subject = iss, sub
    user.sso, user.password_hash = True, None
    session.add(user)
    audit(
        session,
        actor_id=user.person_id,
        action="sso_linked",
        object_type="user_account",
        object_id=user.id,
        detail=f"provider {cfg.name}" + ("; its password removed" if had_password else ""),
    )
    return user, ""

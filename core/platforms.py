"""Where posts come from: the platforms Postwarden pulls and the policy's kinds of account."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    """A platform Postwarden pulls; each has one module in `connectors/` declaring it."""

    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    BLOG = "blog"
    BLUESKY = "bluesky"
    FACEBOOK_GROUP_EXPORT = "facebook_group_export"
    WHATSAPP_EXPORT = "whatsapp_export"


class AccountKind(StrEnum):
    """Section 7 (school's official channels), section 4 (approved work sites), section 12."""

    OFFICIAL = "official"
    WORK_SITE = "work_site"
    EMPLOYEE_GROUP = "employee_group"

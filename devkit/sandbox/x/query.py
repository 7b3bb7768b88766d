"""Timeline and lookup query parameters, validated as X does (every bad one in one 400)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devkit.sandbox.routing import Request, Response, json_response
from devkit.sandbox.x.model import (
    DEFAULT_MAX_RESULTS,
    EARLIEST_START_TIME,
    EXCLUDE_VALUES,
    ID_RE,
    MEDIA_FIELDS,
    PAGE_KEY_PREFIX,
    PROBLEM_INVALID,
    PROBLEM_NOT_FOUND,
    TIMELINE_EXPANSIONS,
    TIMELINE_PARAMS,
    TWEET_FIELDS,
    USER_FIELDS,
)


@dataclass(frozen=True, slots=True)
class _Query:
    """A validated timeline query."""

    max_results: int = DEFAULT_MAX_RESULTS
    since_id: int | None = None
    until_id: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    older_than: int | None = None  # from pagination_token
    exclude: frozenset[str] = frozenset()
    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    media_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()


@dataclass(slots=True)
class _ParamErrors:
    """X reports every bad parameter at once, in one 400."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, value: str, message: str) -> None:
        self.errors.append({"parameters": {name: [value]}, "message": message})

    def response(self) -> Response:
        return json_response(
            400,
            {
                "errors": self.errors,
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": PROBLEM_INVALID,
            },
        )


# --- query parsing -------------------------------------------------------------------------------


def _not_found(resource: str, param: str, value: str) -> dict[str, Any]:
    """X's per-resource error, inside a 200 (the request was fine; the thing is not there)."""
    return {
        "value": value,
        "detail": f"Could not find {resource} with {param}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": param,
        "resource_id": value,
        "type": PROBLEM_NOT_FOUND,
    }


def _unknown_params(request: Request, allowed: frozenset[str], errors: _ParamErrors) -> None:
    for name in request.query:
        if name not in allowed:
            errors.add(
                name,
                request.arg(name) or "",
                f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
            )


def _field_list(
    request: Request, name: str, allowed: frozenset[str], errors: _ParamErrors
) -> frozenset[str]:
    raw = request.arg(name)
    if raw is None:
        return frozenset()
    values = [v for v in raw.split(",")]
    bad = [v for v in values if v not in allowed]
    for value in bad:
        errors.add(
            name,
            value,
            f"The `{name}` query parameter value [{value}] is not one of "
            f"[{','.join(sorted(allowed))}]",
        )
    return frozenset(values) - frozenset(bad)


def _id_param(request: Request, name: str, errors: _ParamErrors) -> int | None:
    raw = request.arg(name)
    if raw is None:
        return None
    if not ID_RE.match(raw):
        errors.add(
            name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        )
        return None
    return int(raw)


def _time_param(request: Request, name: str, errors: _ParamErrors) -> datetime | None:
    raw = request.arg(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        errors.add(
            name,
            raw,
            f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 date-time "
            "(YYYY-MM-DDTHH:mm:ssZ)",
        )
        return None
    if value < EARLIEST_START_TIME:
        errors.add(
            name,
            raw,
            f"Invalid '{name}':'{raw}'. '{name}' must be on or after 2010-11-06T00:00:00Z",
        )
        return None
    return value.astimezone(UTC)


def _parse_timeline_query(request: Request, errors: _ParamErrors) -> _Query:
    _unknown_params(request, TIMELINE_PARAMS, errors)
    max_results = DEFAULT_MAX_RESULTS
    raw_max = request.arg("max_results")
    if raw_max is not None:
        if raw_max.isdigit() and 5 <= int(raw_max) <= 100:
            max_results = int(raw_max)
        else:
            errors.add(
                "max_results",
                raw_max,
                f"The `max_results` query parameter value [{raw_max}] is not between 5 and 100",
            )
    older_than = None
    token = request.arg("pagination_token")
    if token is not None:
        body = token[len(PAGE_KEY_PREFIX) :] if token.startswith(PAGE_KEY_PREFIX) else ""
        try:
            older_than = int(body, 36) if body else None
        except ValueError:
            older_than = None
        if older_than is None:
            errors.add(
                "pagination_token",
                token,
                f"The `pagination_token` query parameter value [{token}] is not valid",
            )
    start_time = _time_param(request, "start_time", errors)
    end_time = _time_param(request, "end_time", errors)
    if start_time and end_time and start_time >= end_time:
        errors.add(
            "end_time",
            request.arg("end_time") or "",
            "Invalid 'end_time': must be after 'start_time'",
        )
    return _Query(
        max_results=max_results,
        since_id=_id_param(request, "since_id", errors),
        until_id=_id_param(request, "until_id", errors),
        start_time=start_time,
        end_time=end_time,
        older_than=older_than,
        exclude=_field_list(request, "exclude", EXCLUDE_VALUES, errors),
        tweet_fields=_field_list(request, "tweet.fields", TWEET_FIELDS, errors),
        user_fields=_field_list(request, "user.fields", USER_FIELDS, errors),
        media_fields=_field_list(request, "media.fields", MEDIA_FIELDS, errors),
        expansions=_field_list(request, "expansions", TIMELINE_EXPANSIONS, errors),
    )

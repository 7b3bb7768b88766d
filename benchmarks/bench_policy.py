"""Per-detector cost of the policy detectors (no spaCy), on the TweetEval offensive dev posts.

    .venv/bin/python benchmarks/bench_policy.py [--input labelled.jsonl]

Prints milliseconds per post for each detector and in total; compare with spaCy's ~5-8 ms/post
(benchmarks/bench_detect.py) to see what the packs add to a cycle.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from detectors.policy import policy_detectors

DEFAULT = Path(__file__).resolve().parents[2] / "shared/eval/dev/tweeteval_offensive_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", type=Path, default=DEFAULT)
    args = parser.parse_args()
    lines = args.input.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    started = time.perf_counter()
    detectors = policy_detectors()
    print(f"load packs + model: {time.perf_counter() - started:.2f} s; {len(texts)} posts")
    total = 0.0
    for detector in detectors:
        started = time.perf_counter()
        for text in texts:
            detector.detect(text, None)
        per_post = (time.perf_counter() - started) / len(texts) * 1000
        total += per_post
        print(f"{detector.name:32} {per_post:7.3f} ms/post")
    print(f"{'all policy detectors':32} {total:7.3f} ms/post")


if __name__ == "__main__":
    main()

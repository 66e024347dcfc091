"""Body-text metric of the public article-extraction benchmark (scrapinghub/Zyte), reimplemented.

The benchmark (GitHub scrapinghub/article-extraction-benchmark, data in ../shared/extraction-bench)
scores an extracted article body against the ground truth like this:

* tokens are the maximal runs of word characters (``\\w+``, Unicode, case kept, no other
  normalisation);
* a text becomes the multiset of its shingles: every run of 4 consecutive tokens; a text of 1-3
  tokens has a single shorter shingle (all its tokens); a text without tokens has none;
* per page, the two multisets are compared count by count: tp = common occurrences, fp = extra
  occurrences in the prediction, fn = missing occurrences; the three are then divided by their sum
  so that every page weighs the same whatever its length;
* per page precision = tp/(tp+fp) and recall = tp/(tp+fn), both 1 when fp = fn = 0;
* precision is averaged over the pages whose prediction has shingles (tp+fp > 0), recall over the
  pages whose ground truth has shingles (tp+fn > 0): an empty prediction lowers recall only;
* F1 is the harmonic mean of the averaged precision and averaged recall (not a mean of per-page
  F1s); "accuracy" is the share of pages whose token lists are identical.

``tests/test_scoring.py`` checks that this code reproduces the figures the benchmark's README
publishes for the predictions stored in ../shared/extraction-bench/reference-outputs/.
"""
from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

SHINGLE_SIZE = 4

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageCounts:
    """Normalised shingle counts of one page (tp + fp + fn == 1, or all 0 when both texts are empty)."""
    tp: float
    fp: float
    fn: float

    @property
    def has_prediction(self) -> bool:
        return self.tp + self.fp > 0

    @property
    def has_truth(self) -> bool:
        return self.tp + self.fn > 0

    @property
    def precision(self) -> float:
        return page_precision(self)

    @property
    def recall(self) -> float:
        return page_recall(self)

    @property
    def f1(self) -> float:
        """Per-page F1, for comparing two extractors page by page (not used by the averaged metric).
        An empty prediction scores 0 (1 when the truth is empty too)."""
        p, r = page_precision(self), page_recall(self)
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def tokenize(text: str | None) -> list[str]:
    """Word tokens exactly as the benchmark counts them: runs of ``\\w``; None counts as ''."""
    return _WORD.findall(text or "")


def shingles(text: str | None, size: int = SHINGLE_SIZE) -> Counter:
    """Multiset of the token shingles of ``text`` (tuples of ``size`` tokens, or one shorter tuple)."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) <= size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def match_counts(true: str | None, pred: str | None, size: int = SHINGLE_SIZE) -> PageCounts:
    """tp/fp/fn of one page, normalised to sum to 1."""
    want = shingles(true, size)
    got = shingles(pred, size)
    common = sum((want & got).values())
    extra = sum((got - want).values())
    missing = sum((want - got).values())
    total = common + extra + missing
    if total == 0:
        return PageCounts(0.0, 0.0, 0.0)
    return PageCounts(common / total, extra / total, missing / total)


def page_precision(c: PageCounts) -> float:
    if c.fp == 0 and c.fn == 0:
        return 1.0
    if c.tp == 0 and c.fp == 0:
        return 0.0
    return c.tp / (c.tp + c.fp)


def page_recall(c: PageCounts) -> float:
    if c.fp == 0 and c.fn == 0:
        return 1.0
    if c.tp == 0 and c.fn == 0:
        return 0.0
    return c.tp / (c.tp + c.fn)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def aggregate(pages: Sequence[PageCounts]) -> dict:
    """Averaged precision and recall over pages, and F1 of those two averages."""
    precision = _mean([page_precision(c) for c in pages if c.has_prediction])
    recall = _mean([page_recall(c) for c in pages if c.has_truth])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def exact_match(true: str | None, pred: str | None) -> bool:
    """The benchmark's "accuracy" of one page: identical token lists."""
    return tokenize(true) == tokenize(pred)


def score(pairs: Iterable[tuple[str | None, str | None]]) -> dict:
    """Score (truth, prediction) pairs: precision, recall, f1, accuracy, pages, and the per-page counts."""
    pairs = list(pairs)
    counts = [match_counts(t, p) for t, p in pairs]
    result = aggregate(counts)
    result["accuracy"] = _mean([1.0 if exact_match(t, p) else 0.0 for t, p in pairs])
    result["pages"] = len(pairs)
    result["counts"] = counts
    return result


def score_predictions(ground_truth: Mapping[str, Mapping], predictions: Mapping[str, Mapping]) -> dict:
    """Score benchmark-shaped dicts: ``{id: {"articleBody": str}}`` for both (a ``{"output": {...}}``
    wrapper around the predictions is accepted). The two must have the same ids."""
    if "output" in predictions and isinstance(predictions["output"], Mapping) and "output" not in ground_truth:
        predictions = predictions["output"]
    if set(ground_truth) != set(predictions):
        raise ValueError("prediction ids do not match the ground truth ids")
    keys = sorted(ground_truth)
    return score((ground_truth[k].get("articleBody"), predictions[k].get("articleBody")) for k in keys)


def bootstrap_std(pages: Sequence[PageCounts], n: int = 1000, seed: int = 0) -> dict:
    """Standard deviation of precision/recall/f1 over ``n`` bootstrap resamples of the pages
    (seeded, so repeated runs print the same figures)."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    if len(pages) < 2:
        return {k: 0.0 for k in samples}
    for _ in range(n):
        pick = [pages[rng.randrange(len(pages))] for _ in range(len(pages))]
        for key, value in aggregate(pick).items():
            samples[key].append(value)
    out = {}
    for key, values in samples.items():
        m = _mean(values)
        out[key] = (sum((v - m) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return out


# ---- helpers for the Vietnamese gold set (not part of the benchmark's metric) -------------------

_SPACES = re.compile(r"\s+")


def normalize_text(text: str | None) -> str:
    """NFC, NBSP and zero-width characters handled, whitespace collapsed, stripped (case kept)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u200b", "").replace("\ufeff", "").replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip()


def token_f1(a: str | None, b: str | None) -> float:
    """Bag-of-words F1 of two short texts (case-folded ``\\w+`` tokens); 1.0 for two empty texts."""
    ta = Counter(t.casefold() for t in tokenize(a))
    tb = Counter(t.casefold() for t in tokenize(b))
    if not ta and not tb:
        return 1.0
    common = sum((ta & tb).values())
    if common == 0:
        return 0.0
    p = common / sum(ta.values())
    r = common / sum(tb.values())
    return 2 * p * r / (p + r)

"""The benchmark metric (bench/scoring.py) and the boilerplate check of bench/quality.py.

The decisive test is ``test_reproduces_published_figures``: scoring the predictions that the public
article-extraction benchmark stores for six extractors must give, to the three decimals printed,
the precision / recall / F1 / accuracy its README publishes for them.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import scoring  # noqa: E402
from bench import quality  # noqa: E402

SHARED = Path(os.environ["PARTYNEWS_SHARED"]) if os.environ.get("PARTYNEWS_SHARED") else REPO.parent / "shared"
BENCH = SHARED / "extraction-bench"

# README of scrapinghub/article-extraction-benchmark ("Results of the latest evaluation", and
# newspaper4k 0.9.3.1 from "Results of the previous evaluation"): F1, precision, recall, accuracy.
PUBLISHED = {
    "trafilatura": (0.958, 0.938, 0.978, 0.293),      # 2.0.0
    "readability": (0.922, 0.913, 0.931, 0.315),      # readability-lxml 0.8.4.1
    "justext": (0.804, 0.858, 0.756, 0.088),          # 3.0.2
    "newspaper": (0.949, 0.964, 0.934, 0.326),        # newspaper4k 0.9.3.1
    "beautifulsoup": (0.665, 0.499, 0.994, 0.000),    # 4.13.5
    "html-text": (0.665, 0.500, 0.994, 0.000),        # 0.7.0
}


def approx(x, y):
    return abs(x - y) < 1e-12


# ---- tokenising and shingles ---------------------------------------------------------------------

def test_tokenize_keeps_word_runs_and_case():
    assert scoring.tokenize("Hello, world! It's 2024_x.") == ["Hello", "world", "It", "s", "2024_x"]
    assert scoring.tokenize("Đảng bộ tỉnh Ninh Bình, năm 2023") == ["Đảng", "bộ", "tỉnh", "Ninh", "Bình", "năm", "2023"]
    assert scoring.tokenize("a\u00a0b\nc\td") == ["a", "b", "c", "d"]
    assert scoring.tokenize("") == [] and scoring.tokenize(None) == [] and scoring.tokenize(" … — ") == []


def test_shingles_of_long_short_and_empty_texts():
    assert scoring.shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert scoring.shingles("a b c d") == {("a", "b", "c", "d"): 1}
    assert scoring.shingles("a b") == {("a", "b"): 1}          # shorter than 4 tokens: one short shingle
    assert scoring.shingles("!!") == {}
    assert scoring.shingles("x y x y x y") == {("x", "y", "x", "y"): 2, ("y", "x", "y", "x"): 1}


# ---- per-page counts ----------------------------------------------------------------------------

def test_identical_texts():
    c = scoring.match_counts("one two three four five", "One two three four five".replace("One", "one"))
    assert (c.tp, c.fp, c.fn) == (1.0, 0.0, 0.0)
    assert c.precision == c.recall == c.f1 == 1.0


def test_counts_are_normalised_per_page():
    # truth shingles abcd, bcde; prediction abcd, bcdx -> tp 1, fp 1, fn 1, divided by 3
    c = scoring.match_counts("a b c d e", "a b c d x")
    assert approx(c.tp, 1 / 3) and approx(c.fp, 1 / 3) and approx(c.fn, 1 / 3)
    assert approx(c.precision, 0.5) and approx(c.recall, 0.5)
    # a text ten times longer with the same proportions gives the same counts
    long_true = " ".join(f"w{i}" for i in range(40))
    long_pred = " ".join(f"w{i}" for i in range(20))
    c = scoring.match_counts(long_true, long_pred)   # 37 truth shingles, 17 predicted, all correct
    assert approx(c.tp, 17 / 37) and c.fp == 0 and approx(c.fn, 20 / 37)
    assert c.precision == 1.0 and approx(c.recall, 17 / 37)


def test_counts_use_multiset_overlap():
    # truth has abcd twice; the prediction once: tp 1, fn 4 (abcd, bcda, cdab, dabc), fp 0
    c = scoring.match_counts("a b c d a b c d", "a b c d")
    assert approx(c.tp, 1 / 5) and c.fp == 0 and approx(c.fn, 4 / 5)
    # the prediction repeats a paragraph the truth has once: the copy is a false positive
    c = scoring.match_counts("a b c d", "a b c d. a b c d")
    assert c.tp > 0 and c.fp > 0 and c.fn == 0


def test_case_matters():
    c = scoring.match_counts("Hà Nội hôm nay nắng", "hà nội hôm nay nắng")
    assert c.tp == 0 and c.precision == 0.0 and c.recall == 0.0


def test_empty_prediction_and_empty_truth():
    empty_pred = scoring.match_counts("a b c d e", "")
    assert (empty_pred.tp, empty_pred.fp, empty_pred.fn) == (0.0, 0.0, 1.0)
    assert not empty_pred.has_prediction and empty_pred.recall == 0.0 and empty_pred.f1 == 0.0
    assert scoring.match_counts("a b c d e", None) == empty_pred
    both_empty = scoring.match_counts("", None)
    assert (both_empty.tp, both_empty.fp, both_empty.fn) == (0.0, 0.0, 0.0)
    assert both_empty.precision == both_empty.recall == 1.0
    spurious = scoring.match_counts("", "a b c d e")
    assert (spurious.tp, spurious.fp, spurious.fn) == (0.0, 1.0, 0.0) and spurious.precision == 0.0


# ---- averaging over pages -----------------------------------------------------------------------

def test_precision_and_recall_are_averaged_over_their_own_pages_and_f1_is_of_the_averages():
    pages = [
        scoring.match_counts("a b c d e", "a b c d e"),      # P 1, R 1
        scoring.match_counts("a b c d e", ""),               # no prediction: recall 0, no precision
        scoring.match_counts("", ""),                        # neither: counted nowhere
        scoring.match_counts("a b c d e", "a b c d x"),      # P 0.5, R 0.5
    ]
    m = scoring.aggregate(pages)
    assert approx(m["precision"], (1 + 0.5) / 2)
    assert approx(m["recall"], (1 + 0 + 0.5) / 3)
    assert approx(m["f1"], 2 * 0.75 * 0.5 / (0.75 + 0.5))
    # not the mean of per-page F1s
    assert not approx(m["f1"], sum(p.f1 for p in pages if p.has_truth) / 3)


def test_score_predictions_accuracy_wrapper_and_key_check():
    truth = {"a": {"articleBody": "x y z w v"}, "b": {"articleBody": "p q r s t"}}
    pred = {"version": "1", "output": {"a": {"articleBody": "x, y z w v!"}, "b": {"articleBody": None}}}
    m = scoring.score_predictions(truth, pred)
    assert m["pages"] == 2 and approx(m["accuracy"], 0.5)
    assert m["precision"] == 1.0 and approx(m["recall"], 0.5)
    with pytest.raises(ValueError):
        scoring.score_predictions(truth, {"a": {"articleBody": ""}})


def test_bootstrap_is_seeded():
    pages = [scoring.match_counts("a b c d e f", p) for p in ("a b c d e f", "a b c d", "", "x y z w", "b c d e f")]
    assert scoring.bootstrap_std(pages, n=200) == scoring.bootstrap_std(pages, n=200)
    assert scoring.bootstrap_std(pages, n=200)["f1"] > 0


def test_token_f1():
    assert scoring.token_f1("a b c", "c b a") == 1.0
    assert scoring.token_f1("", "") == 1.0 and scoring.token_f1("a", "") == 0.0
    assert approx(scoring.token_f1("a b c d", "a b c e"), 0.75)


# ---- the published figures -----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reproduces_published_figures(name):
    # ../shared sits beside the repository on every machine that runs the suite (CI included)
    assert (BENCH / "ground-truth.json.gz").exists(), f"benchmark data not found at {BENCH} (set PARTYNEWS_SHARED)"
    with gzip.open(BENCH / "ground-truth.json.gz", "rt", encoding="utf-8") as f:
        truth = json.load(f)
    with gzip.open(BENCH / "reference-outputs" / f"{name}.json.gz", "rt", encoding="utf-8") as f:
        predictions = json.load(f)
    m = scoring.score_predictions(truth, predictions)
    assert m["pages"] == 181
    got = tuple(round(m[k], 3) for k in ("f1", "precision", "recall", "accuracy"))
    assert got == PUBLISHED[name], f"{name}: got F1/P/R/acc {got}, published {PUBLISHED[name]}"


# ---- boilerplate check of bench/quality.py -------------------------------------------------------

GOLD = ("Ngày 9/1, Đảng ủy Khối tổ chức hội nghị tổng kết công tác năm 2022 tại tỉnh Thái Bình.\n\n"
        "Hội nghị đã thống nhất các chỉ tiêu chủ yếu cho năm 2023 và giao nhiệm vụ cho các chi bộ.")


def test_boilerplate_clean_output_and_resplit_paragraphs():
    gold = quality.GoldText(GOLD)
    assert quality.boilerplate_left(GOLD, gold) == []
    # trafilatura-style single newlines, a paragraph cut in two, NBSP and decomposed accents
    resplit = ("Ngày 9/1, Đảng ủy Khối tổ chức hội nghị tổng kết công tác năm 2022\n"
               "tại tỉnh Thái\u00a0Bình.\n"
               + unicodedata.normalize("NFD", "Hội nghị đã thống nhất các chỉ tiêu chủ yếu cho năm 2023 "
                                              "và giao nhiệm vụ cho các chi bộ."))
    assert "Hội" not in resplit
    assert quality.boilerplate_left(resplit, gold) == []


def test_boilerplate_markers_and_leftovers_are_reported():
    gold = quality.GoldText(GOLD)
    out = GOLD + "\n\nThái Bình\n\nTừ khóa: Đảng ủy Khối, hội nghị\n\n| Tin liên quan: |\n\nimg_8819.jpeg\n\n" \
                 "(0) Bình luận\n\nThis website uses cookies. See Our policy to learn more.\n\n" \
                 "Đại biểu dự hội nghị tại hội trường tỉnh ủy."
    found = quality.boilerplate_left(out, gold)
    whys = [why for why, _ in found]
    paras = [p for _, p in found]
    assert "Thái Bình" in paras                    # a byline, although the province name is in the body
    assert "marker: tags" in whys and "marker: related articles" in whys
    assert "marker: image file name" in whys and "marker: comment count" in whys
    assert "marker: cookie banner" in whys
    assert ("not in gold", "Đại biểu dự hội nghị tại hội trường tỉnh ủy.") in found   # a caption
    assert len(found) == 7


def test_marker_text_that_is_a_gold_paragraph_is_not_reported():
    gold_text = GOLD + "\n\nNổi bật"
    assert quality.boilerplate_left(gold_text, quality.GoldText(gold_text)) == []

"""`partynews demo` as a new user runs it: records that validate and carry none of the seeds' leftovers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from gold_cases import load_cases
from pipelines.record import validation_errors

SEEDS = Path(os.environ.get("PARTYNEWS_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "seeds"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def seed_leftovers() -> list[str]:
    """Lines of the five real seed dumps that are not article text: what a naive extractor left."""
    cases = {c.name.split("/")[1][:7]: c for c in load_cases() if c.name.split("/")[1].startswith("seed")}
    leftovers = []
    for seed in sorted(SEEDS.glob("*.txt")):
        case = cases[f"seed{seed.name[:3]}"]
        keep = {_norm(p) for p in case.expected["text"].split("\n\n")}
        keep |= {_norm(case.expected["title"]), _norm(case.expected.get("lead") or "")}
        for line in seed.read_text(encoding="utf-8").splitlines():
            line = _norm(line)
            if line and line not in keep and not any(line in k for k in keep if len(line) > 40):
                leftovers.append(line)
    return leftovers


def test_the_seeds_are_here():
    assert len(list(SEEDS.glob("*.txt"))) == 5, f"../shared/seeds not found at {SEEDS}"
    assert len(seed_leftovers()) >= 25


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--out", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    runs = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]   # `latest` points at the run
    assert len(runs) == 1
    return done.stdout, runs[0]


def test_demo_prints_a_summary_and_writes_valid_records(demo):
    stdout, run = demo
    assert "partynews demo: serving" in stdout and "written" in stdout
    lines = (run / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 12
    for line in lines:
        assert validation_errors(json.loads(line)) == []
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert report["totals"]["written"] == len(lines)
    assert {"bot_challenge", "error_page", "not_vietnamese"} <= set(report["dropped"])


def test_demo_text_has_none_of_the_seed_leftovers(demo):
    _, run = demo
    records = [json.loads(x) for x in (run / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    leftovers = seed_leftovers()
    for record in records:
        paragraphs = {_norm(p) for p in record["text"].split("\n\n")}
        text = _norm(record["text"])
        for line in leftovers:
            assert line not in paragraphs, (record["url"], line)
            if len(line) >= 20:
                assert line not in text, (record["url"], line)
    seeds_seen = {r["title"] for r in records}
    assert sum(1 for c in load_cases() if "seed" in c.name and c.expected["title"] in seeds_seen) == 5

"""Loading the gold set (tests/gold/README.md) for the tests and the benchmark."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

GOLD = Path(__file__).parent / "gold" / "sites"
HELDOUT = Path(__file__).parent / "heldout" / "sites"
COMPARED = ("title", "lead", "text", "published_at", "published_precision", "date_source", "authors", "category",
            "tags", "images", "canonical_url")


@dataclass
class GoldCase:
    name: str
    site: dict
    url: str
    headers: dict
    expected: dict
    html_path: Path

    @property
    def body(self) -> bytes:
        return self.html_path.read_bytes()

    @property
    def is_drop(self) -> bool:
        return "drop_reason" in self.expected


def load_cases(root: Path = GOLD) -> list[GoldCase]:
    cases = []
    for site_yaml in sorted(root.glob("*/site.yaml")):
        site = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
        for case_json in sorted((site_yaml.parent / "pages").glob("*.json")):
            data = json.loads(case_json.read_text(encoding="utf-8"))
            cases.append(GoldCase(
                name=f"{site['key']}/{case_json.stem}", site=site, url=data["url"],
                headers=data.get("headers") or {}, expected=data["expected"],
                html_path=case_json.with_suffix(".html"),
            ))
    return cases

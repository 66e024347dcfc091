"""Family profiles (rules/families.yaml): which selectors hold what on each kind of CMS."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Mapping

import yaml

FAMILIES = ("nukeviet", "liferay", "aspnet", "wordpress", "generic")
KINDS = ("title", "lead", "body", "date", "author", "tags", "breadcrumb", "prune", "caption")


@dataclass(frozen=True)
class Profile:
    family: str
    title: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    breadcrumb: tuple[str, ...] = ()
    prune: tuple[str, ...] = ()
    caption: tuple[str, ...] = ()
    detect: tuple[re.Pattern, ...] = field(default=(), compare=False)


@lru_cache(maxsize=1)
def _raw_rules() -> dict:
    text = resources.files("pipelines").joinpath("rules/families.yaml").read_text(encoding="utf-8")
    rules = yaml.safe_load(text)
    unknown = set(rules) - set(FAMILIES)
    if unknown:
        raise ValueError(f"families.yaml: unknown families {sorted(unknown)}")
    return rules


def _merge(*layers: Mapping) -> dict[str, tuple[str, ...]]:
    """Specific layers first: a family's selectors are tried before the generic ones."""
    merged: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for layer in layers:
        for kind in KINDS:
            for css in layer.get(kind) or ():
                if css not in merged[kind]:
                    merged[kind].append(css)
    return {kind: tuple(values) for kind, values in merged.items()}


@lru_cache(maxsize=64)
def family_profile(family: str) -> Profile:
    rules = _raw_rules()
    if family not in rules:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    layers = [rules[family]] if family != "generic" else []
    merged = _merge(*layers, rules["generic"])
    detect = tuple(re.compile(p, re.IGNORECASE) for p in rules[family].get("detect", ()))
    return Profile(family=family, detect=detect, **merged)


def profile_with_overrides(family: str, overrides: Mapping | None) -> Profile:
    """A site's own rules (registry `rules:`) go before its family's."""
    base = family_profile(family)
    if not overrides:
        return base
    merged = _merge(overrides, {kind: getattr(base, kind) for kind in KINDS})
    return Profile(family=family, detect=base.detect, **merged)


def detect_family(html_text: str) -> str:
    """Tell the CMS family from page evidence (generator meta, framework markers)."""
    sample = html_text[:400_000]
    for family in ("nukeviet", "liferay", "wordpress", "aspnet"):
        if any(p.search(sample) for p in family_profile(family).detect):
            return family
    return "generic"

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
    # A case-insensitive regex scan of 400 kB costs milliseconds; a substring search of the lower-cased page
    # for the literal text every match of a pattern must contain is ~100x cheaper, and the regex then runs only
    # where that text is. Exact: lower() maps every character that re.IGNORECASE equates with an ASCII one,
    # except the four below, for which the regexes run as before.
    lowered = None if any(ch in sample for ch in _FOLD_SPECIAL) else sample.lower()
    for family in ("nukeviet", "liferay", "wordpress", "aspnet"):
        for p in family_profile(family).detect:
            needles = _needles(p) if lowered is not None else None
            if needles is not None and not any(all(n in lowered for n in alt) for alt in needles):
                continue
            if p.search(sample):
                return family
    return "generic"


_FOLD_SPECIAL = ("\u0130", "\u0131", "\u017f", "\u212a")   # İ ı ſ K: equal to i/k/s under re.IGNORECASE


@lru_cache(maxsize=256)
def _needles(pattern: re.Pattern) -> tuple[tuple[str, ...], ...] | None:
    """Alternatives of lower-cased ASCII strings: every match of the pattern holds all the strings of one
    alternative. None when not known."""
    import re._parser as sre_parse          # the stdlib's own regex parser (sre_parse before 3.11)

    try:
        return _seq_needles(sre_parse.parse(pattern.pattern, pattern.flags).data)
    except Exception:
        return None


def _seq_needles(items) -> tuple[tuple[str, ...], ...] | None:
    import re._constants as c

    runs, run = [], ""
    for op, av in list(items) + [(None, None)]:
        if op is c.LITERAL and av < 128:
            run += chr(av)
            continue
        if len(run) >= 3:
            runs.append(run.lower())
        run = ""
    if runs:
        return (tuple(runs),)
    for op, av in items:
        if op is c.BRANCH:
            out = []
            for branch in av[1]:
                sub = _seq_needles(branch.data if hasattr(branch, "data") else branch)
                if sub is None:
                    return None
                out.extend(sub)
            return tuple(out)
    return None

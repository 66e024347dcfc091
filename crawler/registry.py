"""The site registry (sites.yaml) and the family discovery defaults (discovery.yaml), validated on load.

Errors name the file, line, site and key, so a user who adds a site sees what to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipelines.families import FAMILIES, KINDS
from pipelines.site import SiteInfo

LEVELS = ("central", "province", "city", "agency")
REQUIRED = ("key", "name", "level", "base_url", "family")
OPTIONAL = ("province", "start_urls", "feeds", "sitemaps", "article", "listing", "deny", "rules",
            "allowed_domains", "verified", "notes")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class RegistryError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    level: str
    base_url: str
    family: str | None                 # None: an unregistered site, family told from its pages
    province: str | None = None
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article: tuple[re.Pattern, ...] = ()
    listing: tuple[re.Pattern, ...] = ()
    deny: tuple[re.Pattern, ...] = ()
    rules: dict = field(default_factory=dict, hash=False, compare=False)
    allowed_domains: tuple[str, ...] = ()
    verified: bool = False
    notes: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def info(self) -> SiteInfo:
        return SiteInfo(key=self.key, name=self.name, province=self.province, family=self.family,
                        rules=self.rules)

    def as_dict(self) -> dict:
        """What travels with each fetched page (picklable, JSON-able)."""
        return {"key": self.key, "name": self.name, "province": self.province, "family": self.family,
                "rules": self.rules}


@lru_cache(maxsize=1)
def discovery_defaults() -> dict:
    raw = yaml.safe_load(resources.files("crawler").joinpath("discovery.yaml").read_text(encoding="utf-8"))
    return {family: {
        "feeds": tuple(conf.get("feeds") or ()),
        "sitemaps": tuple(conf.get("sitemaps") or ()),
        "article": tuple(re.compile(p, re.I) for p in conf.get("article") or ()),
        "listing": tuple(re.compile(p, re.I) for p in conf.get("listing") or ()),
        "deny": tuple(re.compile(p, re.I) for p in conf.get("deny") or ()),
    } for family, conf in raw.items()}


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _compile_all(patterns, where: str, problems: list[str]) -> tuple[re.Pattern, ...]:
    out = []
    for p in patterns or ():
        try:
            out.append(re.compile(p, re.I))
        except re.error as exc:
            problems.append(f"{where}: bad regex {p!r}: {exc}")
    return tuple(out)


def _as_list(value, where: str, problems: list[str]) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        problems.append(f"{where}: must be a list")
        return []
    return value


def build_site(entry: dict, where: str, problems: list[str]) -> Site | None:
    before = len(problems)
    if not isinstance(entry, dict):
        problems.append(f"{where}: a site must be a mapping of keys")
        return None
    for key in REQUIRED:
        if entry.get(key) in (None, ""):
            problems.append(f"{where}: missing required key '{key}'")
    for key in entry:
        if key not in REQUIRED and key not in OPTIONAL:
            problems.append(f"{where}: unknown key '{key}' (known: {', '.join(REQUIRED + OPTIONAL)})")
    key = entry.get("key")
    if key is not None and not (isinstance(key, str) and _KEY.match(key)):
        problems.append(f"{where}: key {key!r} must be lower-case letters, digits and '-'")
    if entry.get("level") is not None and entry.get("level") not in LEVELS:
        problems.append(f"{where}: level {entry.get('level')!r} is not one of {', '.join(LEVELS)}")
    if entry.get("family") is not None and entry.get("family") not in FAMILIES:
        problems.append(f"{where}: family {entry.get('family')!r} is not one of {', '.join(FAMILIES)}")
    base = entry.get("base_url")
    if base is not None and (not isinstance(base, str) or urlsplit(base).scheme not in ("http", "https")
                             or not urlsplit(base).hostname):
        problems.append(f"{where}: base_url {base!r} must be an absolute http(s) URL")
    rules = entry.get("rules") or {}
    if not isinstance(rules, dict):
        problems.append(f"{where}: rules must be a mapping of selector lists")
        rules = {}
    for kind, selectors in rules.items():
        if kind not in KINDS:
            problems.append(f"{where}: rules.{kind} is not one of {', '.join(KINDS)}")
        elif not isinstance(selectors, list) or not all(isinstance(s, str) for s in selectors):
            problems.append(f"{where}: rules.{kind} must be a list of CSS selectors")
    lists = {name: _as_list(entry.get(name), f"{where}: {name}", problems)
             for name in ("start_urls", "feeds", "sitemaps", "article", "listing", "deny", "allowed_domains")}
    compiled = {name: _compile_all(lists[name], f"{where}: {name}", problems) for name in ("article", "listing", "deny")}
    if len(problems) > before:
        return None
    family = entry["family"]
    defaults = discovery_defaults()[family]
    return Site(
        key=key, name=entry["name"], level=entry["level"], base_url=base, family=family,
        province=entry.get("province"),
        start_urls=tuple(lists["start_urls"]),
        feeds=tuple(lists["feeds"]) or defaults["feeds"],
        sitemaps=tuple(lists["sitemaps"]) or defaults["sitemaps"],
        article=compiled["article"] + defaults["article"],
        listing=compiled["listing"] + defaults["listing"],
        deny=compiled["deny"] + defaults["deny"],
        rules=rules,
        allowed_domains=tuple(lists["allowed_domains"]),
        verified=bool(entry.get("verified", False)),
        notes=entry.get("notes"),
    )


def load_registry(path: str | Path | None = None) -> dict[str, Site]:
    if path is None:
        text = resources.files("crawler").joinpath("sites.yaml").read_text(encoding="utf-8")
        name = "crawler/sites.yaml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        name = str(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError([f"{name}: not valid YAML: {exc}"]) from exc
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("sites"), list):
        raise RegistryError([f"{name}: must be a mapping with a 'sites:' list"])
    seq = next(v for k, v in node.value if k.value == "sites")
    sites: dict[str, Site] = {}
    for entry, entry_node in zip(data["sites"], seq.value):
        where = f"{name}:{_line_of(entry_node)}"
        if isinstance(entry, dict) and entry.get("key"):
            where += f" (site {entry['key']})"
        site = build_site(entry, where, problems)
        if site is None:
            continue
        if site.key in sites:
            problems.append(f"{where}: duplicate key '{site.key}'")
            continue
        sites[site.key] = site
    if problems:
        raise RegistryError(problems)
    return sites


def adhoc_site(url: str) -> Site:
    """A site that is not in the registry, from its address alone: every family's URL shapes apply and
    the cleaning core tells the family from each page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname
    key = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:60] or "site"
    if parts.port:
        key += f"-{parts.port}"
    base = f"{parts.scheme}://{parts.netloc}/"
    merged = {"feeds": (), "sitemaps": (), "article": (), "listing": (), "deny": ()}
    for conf in discovery_defaults().values():
        for kind in merged:
            merged[kind] += tuple(x for x in conf[kind] if x not in merged[kind])
    start = (url,) if parts.path not in ("", "/") else ()
    return Site(key=key, name=host, level="agency", base_url=base, family=None, start_urls=start, **merged)

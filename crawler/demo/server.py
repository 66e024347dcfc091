"""Serve site packs as live local web sites, so the crawler can be tested and demonstrated offline.

A site pack is a folder with `site.yaml` and `pages/<name>.html` + `pages/<name>.json` (the gold-set format,
tests/gold/README.md). Each pack is served by its own `ThreadingHTTPServer` on its own loopback address
(127.0.0.2, 127.0.0.3, ... - the whole 127.0.0.0/8 is local on Linux; where it is not, 127.0.0.1) and a free port:

* every pack page is served at its real URL's path+query, with the json's `headers`, status 200 (or the json's
  optional `status`); before serving, the real site's origin (`base_url` scheme+host, http and https, with and
  without `www.`, also protocol-relative `//host` and JSON-escaped `https:\\/\\/host`) and the origins of the pack
  pages' own URLs are rewritten in the bytes to the local origin, so links, canonical and image URLs point
  into the local mirror (done on bytes, so a windows-1258 or iso-8859-1 page stays byte-exact elsewhere);
* generated pages in the family's style (one chrome template per family in `templates/`): the home page, an
  all-news listing and one listing per category, paginated in the family's URL shape, newest first (pages
  without a date last), `page_size` teasers a page (site.yaml `page_size`, default 5); an RSS 2.0 feed and
  `/sitemap.xml` where the family has them; `/robots.txt`; a search page on a path robots.txt disallows (linked
  from every generated page); a 404 page in the family's style for anything else.

Only pages whose `expected` has no `drop_reason` are articles (listed in listings, feeds and sitemaps); the
drop pages are served at their URL too and linked from the footer of the generated pages.

URL shapes (family: all-news listing / category listing / feed / sitemap / robots-disallowed search):

    nukeviet   /news/, /news/page-2       /news/<cat>/, /news/<cat>/page-2              /rss/ (= /news/rss/,
               per category /news/rss/<cat>/)   /sitemap.xml   /seek/?q=...
    wordpress  /, /page/2/                /archives/category/<cat>/, .../<cat>/page/2/  /feed/   /sitemap.xml
               /search/<term>/
    liferay    /tin-moi-nhat?page=2       /<cat>, /<cat>?page=2                         -        -   /tim-kiem?q=
    aspnet     /Tin-moi-nhat.aspx?page=2  /<Cat>.aspx, /<Cat>.aspx?page=2               -        -   /TimKiem.aspx?keyword=
    generic    /tim-kiem, /tim-kiem/p2    /<cat>, /<cat>?page=2                         -        -   /tim-kiem?q=...

`<cat>` is the category segment of the article URLs for nukeviet (`/news/<cat>/<slug>-<id>.html`), else the
slug of the expected `category` (aspnet: Title-Case, `Diem-bao`). Paths listed in site.yaml `feeds:` /
`sitemaps:` are served too (the feed / the sitemap). A pack page whose path is the home page, robots.txt, a feed
or the sitemap does not replace it: it is served at `<path>?pack-page=<name>` instead (see `local_url`); a pack
page on any other generated path (e.g. a real listing page `/news/tin-tuc/page-2`) replaces the generated page.
Tracking parameters (utm_*, fbclid, gclid, zarsrc...) are ignored, as a CMS does: a pack page whose URL carries
them is served with and without them, and a request with them finds the page without them.

Optional site.yaml keys (paths may also be written as absolute URLs on the real site):

    page_size: 5                       teasers per listing page
    feed_size: 10                      items per RSS feed, newest first (default: all articles); sitemaps list all
    redirects: {old_path: new_path}    301 to the local new path (an absolute URL on another host stays as is)
    aliases: {path: page_name}         another view of a pack page, e.g. NukeViet /news/print/..., /news/savefile/...,
                                       ASP.NET /Portal/PrintItem.aspx?ContentID=N: a print layout of the article
                                       (title, date, lead, body paragraphs) with <link rel="canonical"> to the page and
                                       <meta name="robots" content="noindex">; or {page: name, layout: same|print,
                                       headers: {...}}: `same` serves the page itself (a second URL of one article)
    documents: [path, ...]             small well-formed files: .pdf, .doc(x), .xls(x), .jpg, .png, .zip by extension,
                                       or {path: ..., type: pdf|docx|...} for a URL without one (Liferay /documents/...)
    robots_disallow: [path, ...]       extra Disallow lines in robots.txt (kept even when they hide pack pages)

    python -m crawler.demo.server [PACK_DIR_OR_ROOT...]   # serves until Ctrl-C (default: the demo sites)
"""
from __future__ import annotations

import argparse
import email.utils
import errno
import hashlib
import html
import json
import logging
import re
import signal
import socket
import string
import sys
import threading
import time
import unicodedata
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import quote, quote_plus, urlsplit

import yaml

from . import DEMO_SITES

__all__ = ["ServedSite", "serve_packs", "find_packs", "load_pack", "main", "FAMILIES", "DEMO_SITES"]

log = logging.getLogger(__name__)

FAMILIES = ("nukeviet", "liferay", "aspnet", "wordpress", "generic")
VN = timezone(timedelta(hours=7))
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_PAGE_SIZE = 5
PACK_PAGE_PARAM = "pack-page"
_WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
_TEXTUAL = re.compile(r"^\s*(text/|application/(?:[\w.+-]*\+)?(?:xml|json|javascript|xhtml\+xml))", re.I)
# headers a pack's json may not dictate: the server computes them (or they describe a transfer, not the page)
_COMPUTED_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive", "date",
                     "server"}


# --------------------------------------------------------------------------------------------- the public API

@dataclass
class ServedSite:
    """One pack served live. `requests` is the request log: (method, path+query as sent, status)."""
    key: str
    base_url: str                      # "http://127.0.0.2:41234/"
    pack: Path
    config: dict                       # site.yaml contents
    articles: list[dict]               # newest first: {"path", "url", "expected", "json", "html", "name", "real_url"}
    other_pages: list[dict]            # the drop pages, same shape
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    delay: float = 0.0                 # seconds to wait before each response (may be changed while serving)
    family: str = "generic"
    feed_url: str | None = None        # local absolute URL of the main feed, if the family has one
    sitemap_url: str | None = None     # local absolute URL of the sitemap, if the family has one
    listing_urls: list[str] = field(default_factory=list)   # page 1 of the all-news and category listings
    redirects: dict[str, str] = field(default_factory=dict)  # local old URL -> Location (site.yaml `redirects`)
    aliases: dict[str, str] = field(default_factory=dict)    # local alias URL -> local URL of its pack page
    documents: dict[str, str] = field(default_factory=dict)  # local URL -> content type (site.yaml `documents`)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _real_to_local: dict = field(default_factory=dict, repr=False, compare=False)
    _hosts: tuple = field(default=(), repr=False, compare=False)
    _app: object = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.base_url).port or 80

    def local_url(self, real_url: str) -> str:
        """The local URL of a pack page given its real URL; any other URL on the real site's host(s) is mapped
        path-for-path. Raises ValueError for a URL on another host."""
        parts = urlsplit(real_url)
        host = _bare_host(parts.hostname or "")
        if host not in self._hosts:
            raise ValueError(f"{real_url!r} is not on {self.key}'s site ({', '.join(self._hosts)})")
        key = _norm_target(parts.path or "/", parts.query)
        known = self._real_to_local.get((host, key))
        if known:
            return known
        return self.origin + key + (f"#{parts.fragment}" if parts.fragment else "")

    def log_request(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def request_log(self) -> list[tuple[str, str, int]]:
        """A snapshot of the request log."""
        with self._lock:
            return list(self.requests)

    def requested_paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.request_log() if method is None or m == method]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def reload(self) -> None:
        """Read the pack again from disk and serve what it holds now, at the same address (a site that changed
        between two crawls: new articles, an edited one, a removed one)."""
        for table in (self.redirects, self.aliases, self.documents):
            table.clear()
        self._real_to_local.clear()
        self._app = SiteApp(load_pack(self.pack), self)


def find_packs(root: Path) -> list[Path]:
    """The folders under `root` (or `root` itself) that hold a site.yaml, sorted."""
    root = Path(root)
    if (root / "site.yaml").is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted({p.parent for p in root.rglob("site.yaml") if p.is_file()})


@contextmanager
def serve_packs(pack_dirs: Iterable[Path], *, first_ip: int = 2, delay: float = 0.0,
                verbose: bool = False) -> Iterator[list[ServedSite]]:
    """Serve each pack on 127.0.0.<first_ip + i>:<free port> in background threads; stop them on exit."""
    packs = [load_pack(Path(p)) for p in pack_dirs]
    with ExitStack() as stack:
        served: list[ServedSite] = []
        for i, pack in enumerate(packs):
            server = _bind(first_ip + i)
            stack.callback(server.stop)
            host, port = server.server_address[:2]
            site = _build_site(pack, f"http://{host}:{port}/", delay=delay)
            server.site = site
            server.verbose = verbose
            server.start(name=f"demo-server-{site.key}")
            served.append(site)
        yield served


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo.server",
                                     description="Serve site packs as local web sites until Ctrl-C.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help=f"site pack folders, or folders holding packs (default: {DEMO_SITES})")
    parser.add_argument("--first-ip", type=int, default=2, help="serve the first pack on 127.0.0.N (default 2)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each response")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    packs: list[Path] = []
    for root in args.paths or [DEMO_SITES]:
        found = find_packs(root)
        if not found:
            print(f"no site pack (folder with site.yaml) under {root}", file=sys.stderr)
        packs.extend(p for p in found if p not in packs)
    if not packs:
        return 1
    try:
        with serve_packs(packs, first_ip=args.first_ip, delay=args.delay, verbose=args.verbose) as served:
            for site in served:
                print(f"{site.key:24} {site.base_url}  ({site.family}, {len(site.articles)} articles, "
                      f"{len(site.other_pages)} other pages)", flush=True)
            print("serving; Ctrl-C to stop", flush=True)
            stop = threading.Event()
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(1):
                pass
    except KeyboardInterrupt:
        pass
    return 0


# --------------------------------------------------------------------------------------------- packs

@dataclass
class Pack:
    dir: Path
    config: dict
    pages: list[dict]   # {"name", "json", "html", "data", "real_url", "expected"}


def load_pack(pack_dir: Path) -> Pack:
    """Read site.yaml and the page cases of a pack (the html bytes are read when the site is built)."""
    pack_dir = Path(pack_dir)
    conf_path = pack_dir / "site.yaml"
    try:
        config = yaml.safe_load(conf_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ValueError(f"{pack_dir}: not a site pack (no site.yaml)") from None
    if not isinstance(config, dict):
        raise ValueError(f"{conf_path}: expected a mapping")
    for required in ("key", "base_url"):
        if not config.get(required):
            raise ValueError(f"{conf_path}: missing {required!r}")
    family = config.get("family") or "generic"
    if family not in FAMILIES:
        raise ValueError(f"{conf_path}: unknown family {family!r}; known: {', '.join(FAMILIES)}")
    if not urlsplit(str(config["base_url"])).hostname:
        raise ValueError(f"{conf_path}: base_url {config['base_url']!r} has no host")
    pages = []
    for json_path in sorted((pack_dir / "pages").glob("*.json")):
        html_path = json_path.with_suffix(".html")
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{json_path}: {exc}") from exc
        if not html_path.is_file():
            log.warning("%s: no %s next to it; skipped", json_path, html_path.name)
            continue
        if not isinstance(data, dict) or not data.get("url"):
            log.warning("%s: no url; skipped", json_path)
            continue
        pages.append({"name": json_path.stem, "json": json_path, "html": html_path, "data": data,
                      "real_url": data["url"], "expected": data.get("expected") or {}})
    return Pack(dir=pack_dir, config=config, pages=pages)


# --------------------------------------------------------------------------------------------- helpers

def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


_PCT = re.compile(r"%[0-9a-fA-F]{2}")
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|zarsrc|_ga|mc_cid|mc_eid|fb_source)$", re.I)


def _strip_tracking(query: str) -> str:
    return "&".join(p for p in query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0]))


def _norm_target(path: str, query: str = "") -> str:
    """path[?query] as a request line would carry it: non-ASCII percent-encoded (UTF-8), escapes upper-case."""
    path = quote(path or "/", safe="/%:@!$&'()*+,;=-._~")
    if not path.startswith("/"):
        path = "/" + path
    out = path + ("?" + quote(query, safe="/?%:@!$&'()*+,;=-._~") if query else "")
    return _PCT.sub(lambda m: m.group(0).upper(), out)


def _split_target(target: str) -> tuple[str, str]:
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    target = target.split("#", 1)[0]
    path, _, query = target.partition("?")
    return path or "/", query


def _parse_dt(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=VN) if dt.tzinfo is None else dt


def _http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def _slugify(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "tin-tuc"


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _summary(expected: dict, words: int = 40) -> str:
    text = (expected.get("lead") or "").strip()
    if not text:
        paras = [p.strip() for p in (expected.get("text") or "").split("\n\n") if p.strip()]
        text = paras[0] if paras else ""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _today() -> str:
    now = datetime.now(VN)
    return f"{_WEEKDAYS[now.weekday()]}, {now:%d/%m/%Y}"


def _views(path: str) -> int:
    return 120 + int(hashlib.sha256(path.encode()).hexdigest()[:6], 16) % 4000


# --------------------------------------------------------------------------------------------- families

class Style:
    """A CMS family's URL shapes and markup fragments (this class: generic). Subclasses override what differs."""
    name = "generic"
    server = "nginx"
    extra_headers: tuple[tuple[str, str], ...] = ()
    feed: str | None = None
    feed_aliases: tuple[str, ...] = ()
    sitemap: str | None = None
    disallow: tuple[str, ...] = ("/admin/", "/tim-kiem?q=")   # the search links go there; /tim-kiem/p2 stays allowed
    all_name = "Tin mới nhất"
    home_is_listing = False            # page 1 of the all-news listing is the home page
    absolute_links = False             # links are printed as absolute URLs
    search_terms = ("Đại hội Đảng", "Nghị quyết", "Chuyển đổi số")

    def all_listing(self, n: int) -> str:
        return "/tim-kiem" if n == 1 else f"/tim-kiem/p{n}"

    def category_listing(self, slug: str, n: int) -> str:
        return f"/{slug}" + ("" if n == 1 else f"?page={n}")

    def category_slug(self, display: str, real_path: str) -> str:
        return _slugify(display)

    def search_url(self, term: str) -> str:
        return "/tim-kiem?q=" + quote_plus(term)

    # fragments -------------------------------------------------------------------------------------
    def date_text(self, dt: datetime | None, precision: str | None) -> str:
        if dt is None:
            return ""
        dt = dt.astimezone(VN)
        return f"{dt:%d/%m/%Y}" if precision == "date" else f"{dt:%H:%M %d/%m/%Y}"

    def menu_item(self, href: str, name: str, active: bool) -> str:
        cls = "menu__item active" if active else "menu__item"
        return f'      <li class="{cls}"><a href="{_e(href)}" class="menu__link">{_e(name)}</a></li>'

    def breadcrumbs(self, trail: list[tuple[str, str]]) -> str:
        items = ['    <a href="/">Trang chủ</a>'] + [f'    <span>&rsaquo;</span> <a href="{_e(h)}">{_e(n)}</a>'
                                                      for h, n in trail]
        return "\n".join(items)

    def teaser(self, t: dict) -> str:
        img = (f'<a href="{_e(t["href"])}" class="story__thumb"><img src="{_e(t["img"])}" alt="{_e(t["title"])}" '
               f'loading="lazy"></a>' if t["img"] else "")
        date = f'<span class="story__time">{_e(t["date"])}</span>' if t["date"] else ""
        return (f'<article class="story">{img}\n'
                f'  <h3 class="story__title"><a href="{_e(t["href"])}" title="{_e(t["title"])}">{_e(t["title"])}</a></h3>\n'
                f'  <div class="story__meta"><a class="story__cat" href="{_e(t["cat_href"])}">{_e(t["cat"])}</a> {date}</div>\n'
                f'  <p class="story__summary">{_e(t["summary"])}</p>\n</article>')

    def listing(self, heading: str, teasers: list[str], pager: str) -> str:
        return (f'<section class="box-category">\n<h1 class="box-category__title">{_e(heading)}</h1>\n'
                f'<div class="box-category__list">\n' + "\n".join(teasers) + f'\n</div>\n{pager}\n</section>')

    def pager(self, pages: list[str], current: int) -> str:
        if len(pages) <= 1:
            return ""
        out = ['<div class="pagination">']
        if current > 1:
            out.append(f'  <a class="pagination__prev" rel="prev" href="{_e(pages[current - 2])}">&laquo; Trang trước</a>')
        for n, href in enumerate(pages, 1):
            out.append(f'  <span class="pagination__item active">{n}</span>' if n == current else
                       f'  <a class="pagination__item" href="{_e(href)}">{n}</a>')
        if current < len(pages):
            out.append(f'  <a class="pagination__next" rel="next" href="{_e(pages[current])}">Trang tiếp &raquo;</a>')
        out.append("</div>")
        return "\n".join(out)

    def box(self, title: str, items: list[str]) -> str:
        lis = "\n".join(f"    <li>{i}</li>" for i in items)
        return f'<div class="box-sidebar">\n  <h2 class="box-sidebar__title">{_e(title)}</h2>\n  <ul>\n{lis}\n  </ul>\n</div>'

    def message(self, heading: str, text: str) -> str:
        return f'<section class="box-message">\n<h1>{_e(heading)}</h1>\n<p>{text}</p>\n</section>'

    def footer_link(self, href: str, name: str) -> str:
        return f'      <li><a href="{_e(href)}">{_e(name)}</a></li>'


class NukeViet(Style):
    name = "nukeviet"
    server = "Apache"
    extra_headers = (("X-Powered-By", "PHP/7.4.33"),)
    feed = "/rss/"
    feed_aliases = ("/news/rss/",)
    sitemap = "/sitemap.xml"
    disallow = ("/admin/", "/data/", "/includes/", "/install/", "/vendor/", "/seek/")
    all_name = "Tin tức"
    _CAT = re.compile(r"^/(?:[a-z]{2}/)?news/([^/]+)/[^/]+\.html?$", re.I)
    _NOT_CATS = {"savefile", "print", "sendmail", "rating", "tag", "search", "rss", "feeds", "topic"}

    def all_listing(self, n: int) -> str:
        return "/news/" if n == 1 else f"/news/page-{n}"

    def category_listing(self, slug: str, n: int) -> str:
        return f"/news/{slug}/" if n == 1 else f"/news/{slug}/page-{n}"

    def category_slug(self, display: str, real_path: str) -> str:
        m = self._CAT.match(real_path)
        if m and m.group(1).lower() not in self._NOT_CATS:
            return m.group(1)
        return _slugify(display)

    def search_url(self, term: str) -> str:
        return "/seek/?q=" + quote_plus(term)

    def menu_item(self, href, name, active):
        cls = ' class="active"' if active else ""
        return f'              <li{cls}><a title="{_e(name)}" href="{_e(href)}">{_e(name)}</a></li>'

    def breadcrumbs(self, trail):
        items = ['                    <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
                 '<a href="/" itemprop="item" title="Trang nhất"><span itemprop="name">Trang nhất</span></a>'
                 '<i class="hidden" itemprop="position" content="1"></i></li>']
        for i, (href, name) in enumerate(trail, 2):
            items.append('                    <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">'
                         f'<a href="{_e(href)}" itemprop="item" title="{_e(name)}"><span class="txt" itemprop="name">'
                         f'{_e(name)}</span></a><i class="hidden" itemprop="position" content="{i}"></i></li>')
        return "\n".join(items)

    def teaser(self, t):
        img = (f'<a href="{_e(t["href"])}" title="{_e(t["title"])}"><img alt="{_e(t["title"])}" src="{_e(t["img"])}" '
               f'width="183" class="img-thumbnail pull-left imghome"></a>\n    ' if t["img"] else "")
        date = (f'<li><em class="fa fa-clock-o">&nbsp;</em> {_e(t["date"])}</li>' if t["date"] else "")
        return ('<div class="news_column panel panel-default">\n  <div class="panel-body">\n    ' + img +
                f'<h3><a href="{_e(t["href"])}" title="{_e(t["title"])}">{_e(t["title"])}</a></h3>\n'
                f'    <div class="text-muted"><ul class="list-unstyled list-inline">{date}'
                f'<li><em class="fa fa-eye">&nbsp;</em> Lượt xem: {t["views"]}</li></ul></div>\n'
                f'    <div class="text-justify">{_e(t["summary"])}</div>\n  </div>\n</div>')

    def listing(self, heading, teasers, pager):
        return (f'<div class="viewcat_page_new">\n<h1 class="hidden">{_e(heading)}</h1>\n'
                f'<div class="panel panel-default"><div class="panel-heading"><h2><a href="#">{_e(heading)}</a></h2></div></div>\n'
                + "\n".join(teasers) + f"\n{pager}\n</div>")

    def pager(self, pages, current):
        if len(pages) <= 1:
            return ""
        out = ['<div class="text-center">', '  <ul class="pagination">']
        if current > 1:
            out.append(f'    <li><a href="{_e(pages[current - 2])}" rel="prev" title="Trang trước">&laquo;</a></li>')
        else:
            out.append('    <li class="disabled"><span>&laquo;</span></li>')
        for n, href in enumerate(pages, 1):
            out.append(f'    <li class="active"><a href="#">{n}</a></li>' if n == current else
                       f'    <li><a href="{_e(href)}" title="Trang {n}">{n}</a></li>')
        if current < len(pages):
            out.append(f'    <li><a href="{_e(pages[current])}" rel="next" title="Trang sau">&raquo;</a></li>')
        else:
            out.append('    <li class="disabled"><span>&raquo;</span></li>')
        out += ["  </ul>", "</div>"]
        return "\n".join(out)

    def box(self, title, items):
        lis = "\n".join(f'      <li class="clearfix">{i}</li>' for i in items)
        return (f'<div class="panel panel-default">\n  <div class="panel-heading">{_e(title)}</div>\n'
                f'  <div class="panel-body">\n    <ul class="block_tophits list-none list-items">\n{lis}\n    </ul>\n'
                f'  </div>\n</div>')

    def message(self, heading, text):
        return (f'<div class="panel panel-default">\n  <div class="panel-body">\n    <h1 class="title">{_e(heading)}</h1>\n'
                f'    <div class="alert alert-info">{text}</div>\n  </div>\n</div>')


class WordPress(Style):
    name = "wordpress"
    server = "nginx/1.22.1"
    extra_headers = (("X-Powered-By", "PHP/8.1.27"),)
    feed = "/feed/"
    sitemap = "/sitemap.xml"
    disallow = ("/admin/", "/wp-admin/", "/search/")
    all_name = "Tin tức - Sự kiện"
    home_is_listing = True
    absolute_links = True

    def all_listing(self, n):
        return "/" if n == 1 else f"/page/{n}/"

    def category_listing(self, slug, n):
        return f"/archives/category/{slug}/" + ("" if n == 1 else f"page/{n}/")

    def search_url(self, term):
        return "/search/" + quote(term.lower().replace(" ", "+"), safe="+") + "/"

    def date_text(self, dt, precision):
        return "" if dt is None else f"{dt.astimezone(VN):%d/%m/%Y}"

    def menu_item(self, href, name, active):
        cls = "menu-item menu-item-type-taxonomy menu-item-object-category" + (" current-menu-item" if active else "")
        return f'        <li class="{cls}"><a href="{_e(href)}">{_e(name)}</a></li>'

    def breadcrumbs(self, trail):
        parts = ['<span><span><a href="/">Trang chủ</a></span>']
        for href, name in trail:
            parts.append(f' &raquo; <span><a href="{_e(href)}">{_e(name)}</a></span>')
        return "      " + "".join(parts) + "</span>"

    def teaser(self, t):
        img = (f'  <div class="post-thumbnail"><a href="{_e(t["href"])}" aria-hidden="true" tabindex="-1">'
               f'<img width="300" height="200" src="{_e(t["img"])}" class="attachment-medium wp-post-image" alt="" '
               f'decoding="async"></a></div>\n' if t["img"] else "")
        date = (f'<span class="posted-on"><a href="{_e(t["href"])}" rel="bookmark"><time class="entry-date published" '
                f'datetime="{_e(t["iso"])}">{_e(t["date"])}</time></a></span> ' if t["date"] else "")
        return (f'<article id="post-{t["id"]}" class="post-{t["id"]} post type-post status-publish format-standard hentry">\n'
                + img +
                f'  <header class="entry-header">\n    <h2 class="entry-title"><a href="{_e(t["href"])}" rel="bookmark">'
                f'{_e(t["title"])}</a></h2>\n    <div class="entry-meta">{date}<span class="cat-links">'
                f'<a href="{_e(t["cat_href"])}" rel="category tag">{_e(t["cat"])}</a></span></div>\n  </header>\n'
                f'  <div class="entry-summary"><p>{_e(t["summary"])}</p></div>\n</article>')

    def listing(self, heading, teasers, pager):
        return (f'<header class="page-header"><h1 class="page-title">{_e(heading)}</h1></header>\n'
                + "\n".join(teasers) + f"\n{pager}")

    def pager(self, pages, current):
        if len(pages) <= 1:
            return ""
        out = ['<nav class="navigation pagination" aria-label="Phân trang bài viết">',
               '  <h2 class="screen-reader-text">Phân trang bài viết</h2>', '  <div class="nav-links">']
        if current > 1:
            out.append(f'    <a class="prev page-numbers" rel="prev" href="{_e(pages[current - 2])}">&laquo; Trang trước</a>')
        for n, href in enumerate(pages, 1):
            out.append(f'    <span aria-current="page" class="page-numbers current">{n}</span>' if n == current else
                       f'    <a class="page-numbers" href="{_e(href)}">{n}</a>')
        if current < len(pages):
            out.append(f'    <a class="next page-numbers" rel="next" href="{_e(pages[current])}">Trang sau &raquo;</a>')
        out += ["  </div>", "</nav>"]
        return "\n".join(out)

    def box(self, title, items):
        lis = "\n".join(f"    <li>{i}</li>" for i in items)
        return f'<section class="widget widget_recent_entries">\n  <h2 class="widget-title">{_e(title)}</h2>\n  <ul>\n{lis}\n  </ul>\n</section>'

    def message(self, heading, text):
        return (f'<section class="error-404 not-found">\n  <header class="page-header"><h1 class="page-title">{_e(heading)}</h1></header>\n'
                f'  <div class="page-content"><p>{text}</p></div>\n</section>')

    def footer_link(self, href, name):
        return f'          <li class="menu-item"><a href="{_e(href)}">{_e(name)}</a></li>'


class Liferay(Style):
    name = "liferay"
    server = "Apache-Coyote/1.1"
    extra_headers = (("Liferay-Portal", "Liferay Community Edition Portal 7.4.3.42 CE GA42"),)
    disallow = ("/admin/", "/c/", "/tim-kiem")

    def all_listing(self, n):
        return "/tin-moi-nhat" + ("" if n == 1 else f"?page={n}")

    def category_listing(self, slug, n):
        return f"/{slug}" + ("" if n == 1 else f"?page={n}")

    def date_text(self, dt, precision):
        if dt is None:
            return ""
        dt = dt.astimezone(VN)
        return f"{dt:%d/%m/%Y}" if precision == "date" else f"{dt:%d/%m/%Y %H:%M}"

    def menu_item(self, href, name, active):
        cls = "lfr-nav-item nav-item" + (" selected active" if active else "")
        return (f'          <li class="{cls}"><a class="nav-link" href="{_e(href)}" role="menuitem">'
                f'<span>{_e(name)}</span></a></li>')

    def breadcrumbs(self, trail):
        items = ['                  <li class="breadcrumb-item"><a class="breadcrumb-link" href="/" title="Trang chủ">'
                 '<span class="breadcrumb-text-truncate">Trang chủ</span></a></li>']
        for href, name in trail:
            items.append(f'                  <li class="breadcrumb-item"><a class="breadcrumb-link" href="{_e(href)}" '
                         f'title="{_e(name)}"><span class="breadcrumb-text-truncate">{_e(name)}</span></a></li>')
        return "\n".join(items)

    def teaser(self, t):
        img = (f'  <div class="asset-small-image"><a href="{_e(t["href"])}"><img alt="" class="asset-small-image img-thumbnail" '
               f'src="{_e(t["img"])}" width="150"></a></div>\n' if t["img"] else "")
        date = (f'<span class="metadata-entry metadata-publish-date">{_e(t["date"])}</span>' if t["date"] else "")
        return ('<div class="asset-abstract">\n' + img +
                f'  <h3 class="asset-title"><a href="{_e(t["href"])}">{_e(t["title"])}</a></h3>\n'
                f'  <div class="asset-metadata">{date}</div>\n'
                f'  <div class="asset-summary">{_e(t["summary"])}</div>\n'
                f'  <div class="asset-more"><a href="{_e(t["href"])}">Xem thêm <span class="hide-accessible">về {_e(t["title"])}</span> &raquo;</a></div>\n'
                '</div>')

    def listing(self, heading, teasers, pager):
        return (f'<h2 class="portlet-title-text">{_e(heading)}</h2>\n<div class="asset-publisher">\n'
                + "\n".join(teasers) + f"\n</div>\n{pager}")

    def pager(self, pages, current):
        if len(pages) <= 1:
            return ""
        out = ['<div class="pagination-bar">', '  <ul class="pagination">']
        if current > 1:
            out.append(f'    <li class="page-item"><a class="page-link" rel="prev" href="{_e(pages[current - 2])}">&laquo; Trước</a></li>')
        for n, href in enumerate(pages, 1):
            out.append(f'    <li class="page-item active"><span class="page-link">{n}</span></li>' if n == current else
                       f'    <li class="page-item"><a class="page-link" href="{_e(href)}">{n}</a></li>')
        if current < len(pages):
            out.append(f'    <li class="page-item"><a class="page-link" rel="next" href="{_e(pages[current])}">Tiếp &raquo;</a></li>')
        out += ["  </ul>", f'  <div class="pagination-results">Trang {current} / {len(pages)}</div>', "</div>"]
        return "\n".join(out)

    def box(self, title, items):
        lis = "\n".join(f'      <li class="list-group-item">{i}</li>' for i in items)
        return (f'<div class="portlet-boundary portlet-static portlet-asset-publisher">\n  <h2 class="portlet-title-text">'
                f'{_e(title)}</h2>\n  <ul class="list-group">\n{lis}\n  </ul>\n</div>')

    def message(self, heading, text):
        return f'<div class="portlet-msg-error alert alert-danger"><h1>{_e(heading)}</h1><p>{text}</p></div>'


class AspNet(Style):
    name = "aspnet"
    server = "Microsoft-IIS/10.0"
    extra_headers = (("X-AspNet-Version", "4.0.30319"), ("X-Powered-By", "ASP.NET"))
    disallow = ("/admin/", "/TimKiem.aspx")

    def all_listing(self, n):
        return "/Tin-moi-nhat.aspx" + ("" if n == 1 else f"?page={n}")

    def category_listing(self, slug, n):
        return f"/{slug}.aspx" + ("" if n == 1 else f"?page={n}")

    def category_slug(self, display, real_path):
        return "-".join(w.capitalize() if i == 0 else w for i, w in enumerate(_slugify(display).split("-")))

    def search_url(self, term):
        return "/TimKiem.aspx?keyword=" + quote_plus(term)

    def date_text(self, dt, precision):
        return "" if dt is None else f"({dt.astimezone(VN):%d/%m/%Y})"

    def menu_item(self, href, name, active):
        cls = ' class="active"' if active else ""
        return f'      <li{cls}><a href="{_e(href)}">{_e(name)}</a></li>'

    def breadcrumbs(self, trail):
        parts = ['<a href="/" class="duongdan-link">Trang chủ</a>']
        parts += [f' &gt;&gt; <a href="{_e(h)}" class="duongdan-link">{_e(n)}</a>' for h, n in trail]
        return "          " + "".join(parts)

    def teaser(self, t):
        img = (f'<a href="{_e(t["href"])}"><img src="{_e(t["img"])}" class="anh-tin" border="0" width="120" /></a>'
               if t["img"] else "")
        return ('<div class="tin-item">\n  <table width="100%" cellpadding="3" cellspacing="0"><tr>\n'
                f'    <td valign="top" width="125">{img}</td>\n'
                f'    <td valign="top"><a href="{_e(t["href"])}" class="title_news_list">{_e(t["title"])}</a> '
                f'<span class="ngaydang_list">{_e(t["date"])}</span>\n'
                f'      <div class="tomtat_list">{_e(t["summary"])}</div></td>\n  </tr></table>\n</div>')

    def listing(self, heading, teasers, pager):
        return (f'<div class="tieude_chuyenmuc"><h1>{_e(heading)}</h1></div>\n'
                f'<div id="ctl00_ContentPlaceHolder1_ctl00_pnlDanhSach" class="ds-tin">\n'
                + "\n".join(teasers) + f"\n</div>\n{pager}")

    def pager(self, pages, current):
        if len(pages) <= 1:
            return ""
        out = ['<div class="PhanTrang" id="ctl00_ContentPlaceHolder1_ctl00_pager">']
        if current > 1:
            out.append(f'  <a href="{_e(pages[0])}" class="pager-first">Đầu</a> <a href="{_e(pages[current - 2])}" rel="prev" class="pager-prev">Trước</a>')
        for n, href in enumerate(pages, 1):
            out.append(f'  <span class="pager-current">{n}</span>' if n == current else
                       f'  <a href="{_e(href)}" class="pager-item">{n}</a>')
        if current < len(pages):
            out.append(f'  <a href="{_e(pages[current])}" rel="next" class="pager-next">Trang sau</a> <a href="{_e(pages[-1])}" class="pager-last">Cuối</a>')
        out.append("</div>")
        return "\n".join(out)

    def box(self, title, items):
        rows = "\n".join(f'  <tr><td class="tinkhac-item">&raquo; {i}</td></tr>' for i in items)
        return f'<table class="box-right" width="100%" cellpadding="2" cellspacing="0">\n  <tr><td class="box-right-title">{_e(title)}</td></tr>\n{rows}\n</table>'

    def message(self, heading, text):
        return f'<div class="thongbao"><h1>{_e(heading)}</h1><p>{text}</p></div>'

    def footer_link(self, href, name):
        return f'      <a href="{_e(href)}">{_e(name)}</a> |'


STYLES: dict[str, Style] = {s.name: s for s in (NukeViet(), WordPress(), Liferay(), AspNet(), Style())}


# --------------------------------------------------------------------------------------------- the site model

@dataclass
class Resource:
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)   # extra headers (from a pack page's json)
    last_modified: datetime | None = None
    ignore_query: bool = False      # a generated page that answers whatever the query string


def _ascii_host(name: str) -> bytes:
    try:
        return name.encode("idna")
    except UnicodeError:
        return name.encode("ascii", "ignore")


def _origin_rewriter(hosts: Iterable[str], local_origin: str) -> Callable[[bytes], bytes]:
    names = sorted({_bare_host(h) for h in hosts if h}, key=len, reverse=True)
    alternatives = b"|".join(re.escape(_ascii_host(n)) for n in names)
    pattern = re.compile(rb"(?P<scheme>https?:)?(?P<sep>//|\\/\\/)(?:www\.)?(?:" + alternatives +
                         rb")(?::(?:80|443))?(?![A-Za-z0-9_-]|\.[A-Za-z0-9])", re.I)
    local_host = urlsplit(local_origin).netloc.encode("ascii")

    def replace(m: re.Match) -> bytes:
        if m.group("sep") == b"//":
            return (b"http://" if m.group("scheme") else b"//") + local_host
        return (b"http:" if m.group("scheme") else b"") + b"\\/\\/" + local_host

    return lambda data: pattern.sub(replace, data)


_DOC_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c) and 32 <= ord(c) < 127)


def _pdf_bytes(title: str, site_name: str) -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table (Helvetica, ASCII text)."""
    def esc(s: str) -> str:
        return _ascii(s).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = (f"BT /F1 16 Tf 72 770 Td ({esc(site_name)}) Tj ET\n"
              f"BT /F1 12 Tf 72 740 Td ({esc(title)}) Tj ET\n").encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               f"<< /Title ({esc(title)}) /Producer (partynews demo server) >>".encode("ascii")]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, len(objects), xref)
    return bytes(out)


def _zip_bytes(files: dict[str, str]) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def _office_bytes(kind: str, title: str) -> bytes:
    t = html.escape(title)
    if kind == "docx":
        return _zip_bytes({
            "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
            "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:body></w:document>'})
    if kind == "xlsx":
        return _zip_bytes({
            "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
            "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="{t[:31]}" sheetId="1"/></sheets></workbook>'})
    if kind == "zip":
        return _zip_bytes({f"{_ascii(title) or 'tai-lieu'}.txt": title})
    # .doc / .xls: an OLE2 compound-file signature and header, the rest zero-filled (enough for type sniffing)
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + bytes.fromhex("3e000300feff0900060000") + bytes(485)


# a valid 1x1 grey baseline JPEG (one 8x8 block, DC 0, EOB; one-code Huffman tables) and a 1x1 PNG
_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000"
    "ffdb004300" + "01" * 64 +
    "ffc0000b080001000101011100"
    "ffc4001400" + "01" + "00" * 15 + "00"
    "ffc4001410" + "01" + "00" * 15 + "00"
    "ffda0008010100003f00" "3f" "ffd9")


def _png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _document_bytes(kind: str, name: str, site_name: str) -> bytes:
    title = re.sub(r"[-_+]+", " ", name).strip() or "Tai lieu"
    if kind == "pdf":
        return _pdf_bytes(title, site_name)
    if kind in ("jpg", "jpeg"):
        return _JPEG
    if kind == "png":
        return _png_bytes()
    return _office_bytes(kind, title)


def _article_parts(body: bytes, content_type: str | None, expected: dict) -> tuple[str, str | None, list[str], list[str]]:
    """Title, lead, body paragraphs and authors of a pack page, for its print view: from its expected record where
    that has them, else from the page (the element holding the most paragraph text, as readability tools do)."""
    import lxml.etree
    import lxml.html

    m = re.search(r"charset=([\w-]+)", content_type or "", re.I) or \
        re.search(rb'<meta[^>]+charset=["\']?([\w-]+)', body[:4096], re.I)
    charset = m.group(1) if m else "utf-8"
    charset = charset.decode("ascii") if isinstance(charset, bytes) else charset
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    text = unicodedata.normalize("NFC", text)
    doc = lxml.html.fromstring(text)
    for bad in doc.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()

    def clean(s: str) -> str:
        return " ".join(s.replace("\u200b", "").split())

    title = expected.get("title") or next(
        (clean(v) for v in doc.xpath('//meta[@property="og:title"]/@content|//h1//text()') if clean(v)),
        clean(doc.findtext(".//title") or ""))
    lead = expected.get("lead")
    if expected.get("text"):
        paras = [p.strip() for p in expected["text"].split("\n\n") if p.strip()]
    else:
        def score(el) -> int:
            return sum(len(clean(p.text_content())) for p in el.findall("p"))
        best = max(doc.iter(lxml.etree.Element), key=score, default=None)
        paras = [clean(p.text_content()) for p in best.findall("p")] if best is not None else []
        paras = [p for p in paras if p and p != lead]
    authors = [str(a) for a in expected.get("authors") or []]
    if authors and paras and clean(paras[-1]) in (", ".join(authors), " - ".join(authors)):
        paras = paras[:-1]
    return title, lead, paras, authors


class SiteApp:
    """What one served site answers: a table of resources built once, at start-up."""

    def __init__(self, pack: Pack, site: ServedSite):
        self.pack, self.site = pack, site
        self.config = pack.config
        self.style = STYLES[site.family]
        self.origin = site.origin
        self.page_size = max(1, int(self.config.get("page_size") or DEFAULT_PAGE_SIZE))
        self.name = str(self.config.get("name") or self.config["key"])
        self.province = str(self.config.get("province") or "")
        self.started = datetime.now(timezone.utc).replace(microsecond=0)
        self.config_mtime = datetime.fromtimestamp(int((pack.dir / "site.yaml").stat().st_mtime), timezone.utc)
        self.generated: dict[str, Resource] = {}
        self.pack_routes: dict[str, Resource] = {}
        self.redirect_routes: dict[str, Resource] = {}
        feed_size = self.config.get("feed_size")
        self.feed_size = max(1, int(feed_size)) if feed_size else None
        self.reserved: set[str] = {"/", "/robots.txt"}
        self._today = _today()
        self._build()

    # -- building -------------------------------------------------------------------------------------------
    def _build(self) -> None:
        base = urlsplit(str(self.config["base_url"]))
        hosts = {base.hostname or ""} | {urlsplit(p["real_url"]).hostname or "" for p in self.pack.pages}
        rewrite = _origin_rewriter(hosts, self.origin)
        self.site._hosts = tuple(sorted({_bare_host(h) for h in hosts if h}))
        self.rewrite = rewrite

        feeds = [self.style.feed, *self.style.feed_aliases] if self.style.feed else []
        sitemaps = [self.style.sitemap] if self.style.sitemap else []
        feeds += [self._config_path(u) for u in self.config.get("feeds") or ()]
        sitemaps += [self._config_path(u) for u in self.config.get("sitemaps") or ()]
        self.feed_paths = list(dict.fromkeys(p for p in feeds if p))
        self.sitemap_paths = list(dict.fromkeys(p for p in sitemaps if p))
        self.reserved |= set(self.feed_paths) | set(self.sitemap_paths)

        # pack pages: where each is served
        entries = []
        for page in self.pack.pages:
            parts = urlsplit(page["real_url"])
            key = _norm_target(parts.path or "/", parts.query)
            if key in self.reserved or key in {e["path"] for e in entries}:
                key = _norm_target(parts.path or "/", (parts.query + "&" if parts.query else "") +
                                   f"{PACK_PAGE_PARAM}={page['name']}")
            entry = {"path": key, "url": self.origin + key, "expected": page["expected"], "json": page["json"],
                     "html": page["html"], "name": page["name"], "real_url": page["real_url"]}
            entries.append(entry)
            host = _bare_host(parts.hostname or "")
            self.site._real_to_local[(host, _norm_target(parts.path or "/", parts.query))] = entry["url"]
            self.pack_routes[key] = self._pack_resource(page, rewrite)

        for entry in entries:       # served without their tracking parameters too
            path, _, query = entry["path"].partition("?")
            if query and _strip_tracking(query) != query:
                clean = path + ("?" + _strip_tracking(query) if _strip_tracking(query) else "")
                if clean not in self.pack_routes and clean not in self.reserved:
                    self.pack_routes[clean] = self.pack_routes[entry["path"]]

        def sort_key(e):
            dt = _parse_dt(e["expected"].get("published_at"))
            return (dt is None, -(dt.timestamp()) if dt else 0, e["path"])

        articles = sorted((e for e in entries if not e["expected"].get("drop_reason")), key=sort_key)
        others = [e for e in entries if e["expected"].get("drop_reason")]
        self.site.articles[:] = articles
        self.site.other_pages[:] = others

        # categories, in order of first appearance among the newest articles
        self.items = [self._item(e) for e in articles]
        self.categories: dict[str, str] = {}
        for it in self.items:
            self.categories.setdefault(it["cat_slug"], it["cat"])
        all_first = self.style.all_listing(1)
        self.categories = {s: n for s, n in self.categories.items()
                           if _norm_target(self.style.category_listing(s, 1)) != _norm_target(all_first)}
        for it in self.items:
            it["cat_href"] = self.style.category_listing(it["cat_slug"], 1)
        self.footer_pages = [(e["path"], self._drop_label(e)) for e in others]
        self._aliases(entries)
        self._redirects()
        self._documents()

        # generated pages
        self._listing(self.items, self.style.all_listing, self.style.all_name, None)
        for slug, name in self.categories.items():
            self._listing([it for it in self.items if it["cat_slug"] == slug],
                          lambda n, s=slug: self.style.category_listing(s, n), name, slug)
        if not self.style.home_is_listing:
            self._add("/", Resource(self._home(), last_modified=self._newest(self.items) or self.config_mtime),
                      ignore_query=True)
        for term in self.style.search_terms:
            self._add(self.style.search_url(term), Resource(self._search(term), last_modified=self.started))
        for path in self.feed_paths:
            self._add(path, Resource(self._rss(path), "application/rss+xml; charset=utf-8",
                                     last_modified=self._newest(self.items)))
        if self.style.name == "nukeviet":
            for slug, name in self.categories.items():
                items = [it for it in self.items if it["cat_slug"] == slug]
                self._add(f"/news/rss/{slug}/", Resource(self._rss(f"/news/rss/{slug}/", items, name), "application/rss+xml; charset=utf-8",
                                                         last_modified=self._newest(items)))
        for path in self.sitemap_paths:
            self._add(path, Resource(self._sitemap(), "application/xml; charset=utf-8",
                                     last_modified=self._newest(self.items)))
        self._add("/robots.txt", Resource(self._robots().encode("utf-8"), "text/plain; charset=utf-8",
                                          last_modified=self.config_mtime))
        self.not_found = Resource(self._page("Không tìm thấy trang - 404", "error", [("#", "Lỗi 404")],
                                             self.style.message("Không tìm thấy trang yêu cầu (404)",
                                                                'Trang bạn tìm không tồn tại hoặc đã bị gỡ bỏ. '
                                                                '<a href="/">Quay về trang chủ</a>.'), "/"),
                                  status=404)

        site = self.site
        site.feed_url = self.origin + self.feed_paths[0] if self.feed_paths else None
        site.sitemap_url = self.origin + self.sitemap_paths[0] if self.sitemap_paths else None
        site.listing_urls = [self.origin + self.style.all_listing(1)] + [
            self.origin + self.style.category_listing(s, 1) for s in self.categories]
        collisions = set(self.pack_routes) & set(self.generated)
        if collisions:
            log.info("%s: pack pages replace generated pages at %s", site.key, ", ".join(sorted(collisions)))

    def _config_key(self, url: str) -> str:
        """A site.yaml path or absolute URL as the request target it stands for (path+query, normalised)."""
        parts = urlsplit(str(url).strip())
        return _norm_target(parts.path or "/", parts.query)

    def _aliases(self, entries: list[dict]) -> None:
        by_name = {e["name"]: e for e in entries}
        pages = {p["name"]: p for p in self.pack.pages}
        for path, spec in (self.config.get("aliases") or {}).items():
            spec = {"page": spec} if isinstance(spec, str) else dict(spec or {})
            entry = by_name.get(str(spec.get("page")))
            if entry is None:
                raise ValueError(f"{self.pack.dir / 'site.yaml'}: alias {path!r}: no pack page {spec.get('page')!r}")
            key = self._config_key(path)
            if key in self.pack_routes:
                log.warning("%s: alias %s is a pack page's path; the pack page is served", self.site.key, key)
                continue
            layout = spec.get("layout") or "print"
            if layout not in ("print", "same"):
                raise ValueError(f"{self.pack.dir / 'site.yaml'}: alias {path!r}: layout must be print or same")
            page_res = self.pack_routes[entry["path"]]
            headers = [(str(k), str(v)) for k, v in (spec.get("headers") or {}).items()
                       if str(k).lower() not in _COMPUTED_HEADERS | {"content-type"}]
            if layout == "same":
                res = Resource(page_res.body, page_res.content_type, headers=page_res.headers + headers,
                               last_modified=page_res.last_modified)
            else:
                res = Resource(self._print_view(entry, pages[entry["name"]], page_res), headers=headers,
                               last_modified=page_res.last_modified)
            self.pack_routes[key] = res
            self.site.aliases[self.origin + key] = entry["url"]

    def _print_view(self, entry: dict, page: dict, page_res: Resource) -> bytes:
        """The article of a pack page in a CMS print layout: canonical to the article, noindex."""
        exp = entry["expected"]
        title, lead, paras, authors = _article_parts(page_res.body, page_res.content_type, exp)
        dt = _parse_dt(exp.get("published_at"))
        date = "" if dt is None else (f"{dt.astimezone(VN):%d/%m/%Y}" if exp.get("published_precision") == "date"
                                      else f"{dt.astimezone(VN):%H:%M %d/%m/%Y}")
        body = "\n".join(f"<p>{_e(p)}</p>" for p in paras)
        out = f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{_e(title)} - {_e(self.name)}</title>
<meta name="robots" content="noindex">
<link rel="canonical" href="{_e(entry['url'])}">
<style>body{{font:14px/1.5 Arial,Helvetica,sans-serif;margin:20px auto;max-width:760px}}.print-header{{border-bottom:2px solid #b30000;margin-bottom:12px}}.hometext{{font-weight:bold}}.print-tools{{text-align:right}}@media print{{.print-tools{{display:none}}}}</style>
</head>
<body onload="window.print()">
<div id="print" class="print-{_e(self.style.name)}">
  <p class="print-tools"><a href="javascript:window.print()">In bài viết</a> | <a href="javascript:window.close()">Đóng cửa sổ</a></p>
  <div class="print-header"><strong>{_e(self.name.upper())}</strong><br><span>{_e(self.origin + '/')}</span></div>
  <h1 class="title">{_e(title)}</h1>
  <p class="time">{_e(date)}</p>
{f'  <div class="hometext">{_e(lead)}</div>' if lead else ''}
  <div class="bodytext">
{body}
  </div>
{f'  <p class="author" style="text-align:right"><strong>{_e(", ".join(authors))}</strong></p>' if authors else ''}
  <div class="print-footer">Nguồn: <a href="{_e(entry['url'])}">{_e(entry['url'])}</a><br>&copy; {_e(self.name)}</div>
</div>
</body>
</html>
"""
        return out.encode("utf-8")

    def _redirects(self) -> None:
        for old, new in (self.config.get("redirects") or {}).items():
            key = self._config_key(old)
            parts = urlsplit(str(new).strip())
            if parts.scheme and _bare_host(parts.hostname or "") not in self.site._hosts:
                location = str(new).strip()                 # off-site: as written
            else:
                location = self.origin + self._config_key(new)
            body = (f'<html><head><title>301 Moved Permanently</title></head><body><h1>Moved Permanently</h1>'
                    f'<p>The document has moved <a href="{_e(location)}">here</a>.</p></body></html>').encode()
            self.redirect_routes[key] = Resource(body, "text/html; charset=iso-8859-1", status=301,
                                                 headers=[("Location", location)])
            self.site.redirects[self.origin + key] = location

    def _documents(self) -> None:
        for spec in self.config.get("documents") or ():
            spec = {"path": spec} if isinstance(spec, str) else dict(spec or {})
            key = self._config_key(spec["path"])
            path = key.split("?", 1)[0]
            kind = str(spec.get("type") or path.rsplit(".", 1)[-1]).lower().lstrip(".")
            if kind not in _DOC_TYPES:
                raise ValueError(f"{self.pack.dir / 'site.yaml'}: document {spec['path']!r}: unknown type {kind!r}; "
                                 f"known: {', '.join(sorted(_DOC_TYPES))}")
            name = str(spec.get("title") or "") or \
                re.sub(r"\.\w+$", "", path.rstrip("/").rsplit("/", 1)[-1]) or "tai-lieu"
            ctype = _DOC_TYPES[kind]
            res = Resource(_document_bytes(kind, name, self.name), ctype, last_modified=self.config_mtime)
            self.generated[key] = res
            self.site.documents[self.origin + key] = ctype

    def _config_path(self, url: str) -> str | None:
        parts = urlsplit(str(url))
        return _norm_target(parts.path or "/", parts.query) if parts.path else None

    def _add(self, path: str, res: Resource, ignore_query: bool = False) -> None:
        res.ignore_query = ignore_query or res.ignore_query
        self.generated[_norm_target(*_split_target(path))] = res

    def _pack_resource(self, page: dict, rewrite) -> Resource:
        body = page["html"].read_bytes()
        data = page["data"]
        headers = {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        if ctype is None or _TEXTUAL.match(ctype):
            body = rewrite(body)
        extra = [(k, v) for k, v in headers.items() if k.lower() not in _COMPUTED_HEADERS | {"content-type"}]
        last_mod = None
        if not any(k.lower() == "last-modified" for k, _ in extra):
            exp = page["expected"]
            last_mod = (_parse_dt(exp.get("modified_at")) or _parse_dt(exp.get("published_at")) or
                        datetime.fromtimestamp(int(page["html"].stat().st_mtime), timezone.utc))
        return Resource(body, ctype, status=int(data.get("status") or 200), headers=extra, last_modified=last_mod)

    def _item(self, entry: dict) -> dict:
        exp = entry["expected"]
        dt = _parse_dt(exp.get("published_at"))
        cat = exp.get("category") or self.style.all_name
        real_path = urlsplit(entry["real_url"]).path
        images = exp.get("images") or []
        img = images[0].get("url") if images and isinstance(images[0], dict) else None
        if img:
            img = self.rewrite(img.encode("utf-8")).decode("utf-8")
        title = exp.get("title") or entry["name"].replace("-", " ").capitalize()
        return {"path": entry["path"], "href": entry["path"] if self.style.name != "wordpress" else entry["url"],
                "url": entry["url"], "title": title, "dt": dt, "iso": dt.isoformat() if dt else "",
                "modified": _parse_dt(exp.get("modified_at")) or dt,
                "date": self.style.date_text(dt, exp.get("published_precision")), "summary": _summary(exp),
                "cat": cat, "cat_slug": self.style.category_slug(cat, real_path), "img": img,
                "views": _views(entry["path"]), "id": 1000 + int(hashlib.sha256(entry["path"].encode()).hexdigest()[:5], 16) % 90000}

    @staticmethod
    def _drop_label(entry: dict) -> str:
        exp = entry["expected"]
        if exp.get("title"):
            return exp["title"]
        last = [s for s in urlsplit(entry["real_url"]).path.split("/") if s]
        label = re.sub(r"\.\w+$", "", last[-1]) if last else entry["name"]
        return re.sub(r"[-_]+", " ", label).strip().capitalize() or entry["name"]

    @staticmethod
    def _newest(items: list[dict]) -> datetime | None:
        dates = [it["modified"] for it in items if it["modified"]]
        return max(dates) if dates else None

    # -- pages ------------------------------------------------------------------------------------------
    def _teaser(self, it: dict) -> str:
        return self.style.teaser(it)

    def _listing(self, items: list[dict], path_of: Callable[[int], str], heading: str, slug: str | None) -> None:
        n_pages = max(1, -(-len(items) // self.page_size))
        pages = [path_of(n) for n in range(1, n_pages + 1)]
        trail = [] if slug is None and self.style.home_is_listing else [(pages[0], heading)]
        for n, path in enumerate(pages, 1):
            chunk = items[(n - 1) * self.page_size: n * self.page_size]
            teasers = [self._teaser(it) for it in chunk] or [self.style.message("Chưa có bài viết", "")]
            main = self.style.listing(heading if n == 1 else f"{heading} - Trang {n}", teasers,
                                      self.style.pager(pages, n))
            links = []
            if n > 1:
                links.append(f'<link rel="prev" href="{_e(self.origin + pages[n - 2])}">')
            if n < n_pages:
                links.append(f'<link rel="next" href="{_e(self.origin + pages[n])}">')
            title = (self.name if slug is None and self.style.home_is_listing and n == 1 else
                     f"{heading}{'' if n == 1 else f' - Trang {n}'} - {self.name}")
            kind = ("home" if slug is None and self.style.home_is_listing and n == 1 else
                    "viewcat" if self.style.name == "nukeviet" else "archive category")
            body = self._page(title, kind, trail, main, path, extra_links=links, active=slug)
            # page 1 of a path-shaped listing answers any query; ?page=1 is page 1 too
            first_plain = n == 1 and "?" not in path
            self._add(path, Resource(body, last_modified=self._newest(chunk) or self.config_mtime),
                      ignore_query=first_plain)
            if n == 1 and "?" not in path and "?page=" in path_of(2):
                self._add(path + "?page=1", Resource(body, last_modified=self._newest(chunk) or self.config_mtime))

    def _home(self) -> bytes:
        latest = self.items[: self.page_size]
        parts = [self.style.listing("Tin mới nhất", [self._teaser(it) for it in latest] or
                                    [self.style.message("Chưa có bài viết", "")], "")]
        parts.append(f'<p class="view-all"><a href="{_e(self.style.all_listing(1))}">Xem tất cả tin bài &raquo;</a></p>')
        for slug, name in self.categories.items():
            top = [it for it in self.items if it["cat_slug"] == slug][:3]
            links = [f'<a href="{_e(it["href"])}" title="{_e(it["title"])}">{_e(it["title"])}</a>' for it in top]
            links.append(f'<a href="{_e(self.style.category_listing(slug, 1))}" class="more">Xem thêm {_e(name)}</a>')
            parts.append(self.style.box(name, links))
        return self._page(self.name, "home" if self.style.name != "nukeviet" else "main", [], "\n".join(parts), "/")

    def _search(self, term: str) -> bytes:
        words = [w.lower() for w in term.split()]
        hits = [it for it in self.items if all(w in it["title"].lower() for w in words)][: self.page_size]
        main = self.style.listing(f'Kết quả tìm kiếm: "{term}"', [self._teaser(it) for it in hits] or
                                  [self.style.message("Không có kết quả phù hợp", "")], "")
        return self._page(f"Tìm kiếm: {term} - {self.name}", "search", [("#", "Tìm kiếm")], main,
                          self.style.search_url(term), robots="noindex, follow")

    def _sidebar(self) -> str:
        latest = [f'<a href="{_e(it["href"])}" title="{_e(it["title"])}">{_e(it["title"])}</a>'
                  + (f' <span class="time">{_e(it["date"])}</span>' if it["date"] else "")
                  for it in self.items[:5]]
        popular = sorted(self.items, key=lambda it: -it["views"])[:3]
        boxes = [self.style.box("Tin mới", latest or ["Chưa có bài viết"]),
                 self.style.box("Đọc nhiều", [f'<a href="{_e(it["href"])}">{_e(it["title"])}</a>' for it in popular]
                                or ["Chưa có bài viết"]),
                 self.style.box("Tìm kiếm nhiều", [f'<a href="{_e(self.style.search_url(t))}">{_e(t)}</a>'
                                                   for t in self.style.search_terms]),
                 self.style.box("Liên kết website", [
                     '<a href="https://dangcongsan.vn/" target="_blank" rel="noopener">Báo điện tử Đảng Cộng sản Việt Nam</a>',
                     '<a href="https://www.tapchicongsan.org.vn/" target="_blank" rel="noopener">Tạp chí Cộng sản</a>',
                     '<a href="https://chinhphu.vn/" target="_blank" rel="noopener">Cổng Thông tin điện tử Chính phủ</a>'])]
        return "\n".join(boxes)

    def _page(self, title: str, kind: str, trail: list[tuple[str, str]], main: str, path: str, *,
              extra_links: list[str] = (), active: str | None = None, robots: str | None = None) -> bytes:
        links = []
        if self.feed_paths:
            links.append(f'<link rel="alternate" type="application/rss+xml" title="{_e(self.name)}" '
                         f'href="{_e(self.origin + self.feed_paths[0])}">')
        if robots:
            links.append(f'<meta name="robots" content="{_e(robots)}">')
        links += list(extra_links)
        menu = [self.style.menu_item(self.style.all_listing(1), self.style.all_name, active is None and kind != "home")]
        if self.style.home_is_listing:
            menu = []
        menu += [self.style.menu_item(self.style.category_listing(s, 1), n, active == s) for s, n in self.categories.items()]
        footer = [self.style.footer_link(href, label) for href, label in self.footer_pages]
        footer.append(self.style.footer_link(self.style.all_listing(1), self.style.all_name))
        values = {
            "title": _e(title), "description": _e(f"{self.name} - {title}" if title != self.name else self.name),
            "canonical": _e(self.origin + path), "canonical_path": _e(path), "head_links": "\n".join(links),
            "site_name": _e(self.name), "slogan": _e(self.config.get("slogan") or f"Đảng bộ {self.province}".strip()),
            "province": _e(self.province), "today": _e(self._today), "menu": "\n".join(menu),
            "breadcrumbs": self.style.breadcrumbs(trail), "main": main, "sidebar": self._sidebar(),
            "footer_links": "\n".join(footer), "year": str(datetime.now(VN).year), "page_kind": _e(kind),
            "form_action": _e(path.lstrip("/").split("?")[0] or "Default.aspx"),
        }
        page = _template(self.style.name).substitute(values)
        if self.style.absolute_links:       # WordPress prints absolute URLs everywhere
            page = re.sub(r'\b(href|src)="/(?!/)', lambda m: f'{m.group(1)}="{self.origin}/', page)
        return page.encode("utf-8")

    # -- feeds, sitemap, robots --------------------------------------------------------------------------
    def _rss(self, self_path: str, items: list[dict] | None = None, category: str | None = None) -> bytes:
        items = self.items if items is None else items
        if self.feed_size:
            items = items[: self.feed_size]
        title = self.name + (f" - {category}" if category else "")
        self_url = self.origin + self_path
        newest = self._newest(items)
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">',
               "<channel>", f"<title>{_e(title)}</title>", f"<link>{_e(self.origin + '/')}</link>",
               f"<description>{_e(title)}</description>", "<language>vi</language>",
               f'<atom:link href="{_e(self_url)}" rel="self" type="application/rss+xml"/>']
        if newest:
            out.append(f"<lastBuildDate>{email.utils.format_datetime(newest.astimezone(VN))}</lastBuildDate>")
        for it in items:
            out += ["<item>", f"<title>{_e(it['title'])}</title>", f"<link>{_e(it['url'])}</link>",
                    f'<guid isPermaLink="true">{_e(it["url"])}</guid>', f"<category>{_e(it['cat'])}</category>",
                    f"<description>{_e(it['summary'])}</description>"]
            if it["dt"]:
                out.append(f"<pubDate>{email.utils.format_datetime(it['dt'].astimezone(VN))}</pubDate>")
            out.append("</item>")
        out += ["</channel>", "</rss>", ""]
        return "\n".join(out).encode("utf-8")

    def _sitemap(self) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for it in self.items:
            out.append(f"  <url><loc>{_e(it['url'])}</loc>" +
                       (f"<lastmod>{it['modified'].astimezone(VN).isoformat()}</lastmod>" if it["modified"] else "") +
                       "</url>")
        out += ["</urlset>", ""]
        return "\n".join(out).encode("utf-8")

    def _robots(self) -> str:
        # a rule that would hide a pack page from a polite crawler is left out
        rules = [p for p in self.style.disallow if not any(e["path"].startswith(p) for e in
                                                           self.site.articles + self.site.other_pages)]
        rules += [str(p) for p in self.config.get("robots_disallow") or () if str(p) not in rules]
        lines = ["User-agent: *"] + [f"Disallow: {p}" for p in rules]
        if self.style.name == "wordpress":
            lines.append("Allow: /wp-admin/admin-ajax.php")
        lines.append("")
        lines += [f"Sitemap: {self.origin}{p}" for p in self.sitemap_paths]
        return "\n".join(lines) + "\n"

    # -- answering ----------------------------------------------------------------------------------------
    def respond(self, method: str, target: str, if_modified_since: str | None) -> Resource:
        path, query = _split_target(target)
        key = _norm_target(path, query)
        res = self.redirect_routes.get(key) or self.pack_routes.get(key) or self.generated.get(key)
        if res is None and query and _strip_tracking(query) != query:
            clean = _norm_target(path, _strip_tracking(query))
            res = self.redirect_routes.get(clean) or self.pack_routes.get(clean) or self.generated.get(clean)
        if res is None and query:
            plain = self.generated.get(_norm_target(path))
            if plain is not None and plain.ignore_query:
                res = plain
        if res is None:
            alt = _norm_target(path[:-1] if path.endswith("/") and path != "/" else path + "/")
            if alt in self.generated:
                location = self.origin + alt + (f"?{query}" if query else "")
                body = (f'<html><head><title>301 Moved Permanently</title></head><body><h1>Moved Permanently</h1>'
                        f'<p>The document has moved <a href="{_e(location)}">here</a>.</p></body></html>').encode()
                return Resource(body, "text/html; charset=iso-8859-1", status=301, headers=[("Location", location)])
            res = self.not_found
        if method not in ("GET", "HEAD"):
            return Resource(b"", "text/plain; charset=utf-8", status=405, headers=[("Allow", "GET, HEAD")])
        if res.status == 200 and res.last_modified is not None and if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                since = None
            if since is not None and since.tzinfo is not None and res.last_modified.replace(microsecond=0) <= since:
                return Resource(b"", None, status=304, last_modified=res.last_modified)
        return res


_TEMPLATE_CACHE: dict[str, string.Template] = {}
_TEMPLATE_LOCK = threading.Lock()


def _template(family: str) -> string.Template:
    with _TEMPLATE_LOCK:
        if family not in _TEMPLATE_CACHE:
            _TEMPLATE_CACHE[family] = string.Template((TEMPLATES / f"{family}.html").read_text(encoding="utf-8"))
        return _TEMPLATE_CACHE[family]


def _build_site(pack: Pack, base_url: str, *, delay: float = 0.0) -> ServedSite:
    site = ServedSite(key=str(pack.config["key"]), base_url=base_url, pack=pack.dir, config=pack.config,
                      articles=[], other_pages=[], delay=delay, family=pack.config.get("family") or "generic")
    site._app = SiteApp(pack, site)
    return site


# --------------------------------------------------------------------------------------------- HTTP

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30                     # an idle keep-alive connection is closed after this

    def version_string(self) -> str:
        return self.server.site._app.style.server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if getattr(self.server, "verbose", False):
            sys.stderr.write(f"[{self.server.site.key}] {self.address_string()} - {format % args}\n")

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer()

    do_PUT = do_DELETE = do_PATCH = do_POST

    def do_OPTIONS(self) -> None:
        self._answer()

    def _answer(self) -> None:
        site: ServedSite = self.server.site
        app: SiteApp = site._app
        res = app.respond(self.command, self.path, self.headers.get("If-Modified-Since"))
        site.log_request(self.command, self.path, res.status)
        if site.delay > 0:
            time.sleep(site.delay)
        try:
            self.send_response(res.status)
            for name, value in app.style.extra_headers:
                self.send_header(name, value)
            if res.content_type and res.status != 304:
                self.send_header("Content-Type", res.content_type)
            if res.last_modified is not None:
                self.send_header("Last-Modified", _http_date(res.last_modified))
            for name, value in res.headers:
                self.send_header(name, value)
            if res.status != 304:
                self.send_header("Content-Length", str(len(res.body)))
            self.end_headers()
            if self.command != "HEAD" and res.status != 304 and res.body:
                self.wfile.write(res.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    site: ServedSite
    verbose = False

    def __init__(self, address):
        super().__init__(address, _Handler)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conns_lock:
            (self._conns.add if alive else self._conns.discard)(conn)

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=name,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5)
            self._thread = None
        self.server_close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:          # keep-alive connections still open: end them so nothing answers any more
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _bind(n: int) -> _Server:
    if not 1 <= n <= 254:
        raise ValueError(f"no loopback address 127.0.0.{n}: too many packs for first_ip")
    try:
        return _Server((f"127.0.0.{n}", 0))
    except OSError as exc:
        if exc.errno not in (errno.EADDRNOTAVAIL, errno.EINVAL):
            raise
        log.warning("127.0.0.%d is not a local address here; serving on 127.0.0.1", n)
        return _Server(("127.0.0.1", 0))


if __name__ == "__main__":
    sys.exit(main())

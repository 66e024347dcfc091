#!/usr/bin/env python3
"""A large local news site for the performance benchmark (bench/perf.py): N realistic article pages made on the
fly from the fixture sites' article pages (tests/fixtures/sites/*, written by tests/fixtures/make_sites.py from
the gold pages' chrome and tests/fixtures/textbank.py texts), served fast from memory on 127.0.0.1.

Page i is fixture article `i mod B` (B = about 160 pages over the five CMS families) with
* its own URL, `/news/<family>/bai-viet-<b>-<i>.html`, written everywhere the page names its own address
  (canonical link, og:url, JSON-LD), so every page is a distinct article to the crawler and to dedup;
* its body paragraphs replaced by paragraphs drawn (seeded by i) from the pool of all fixture body paragraphs,
  so every page has its own text (a distinct content hash and dedup key).
The real sites' origins are rewritten to the local one; links to other fixture paths answer 404, as removed
pages do. robots.txt names /sitemap.xml, a sitemap index of 1,000-URL sitemaps listing every page.

    python bench/sitegen.py --pages 5000 [--port 0]      # prints "READY <port>", serves until killed

The server is an asyncio HTTP/1.1 server with keep-alive that renders a page by joining pre-split byte
segments, so it costs a few tens of microseconds a page (bench/perf.py measures how many pages/s it serves).
"""
from __future__ import annotations

import argparse
import asyncio
import html as htmlmod
import json
import random
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
FIXTURES = REPO / "tests" / "fixtures" / "sites"
SITEMAP_SIZE = 1000


def _origin_pairs(host: str, origin: str) -> list[tuple[str, str]]:
    bare = host.removeprefix("www.")
    local_host = origin.split("://", 1)[1]
    pairs = []
    for h in (f"www.{bare}", bare):
        for scheme in ("https:", "http:"):
            pairs.append((f"{scheme}//{h}", origin))
            pairs.append((f"{scheme}\\/\\/{h}", origin.replace("/", "\\/")))
        pairs.append((f"//{h}", f"//{local_host}"))
    return pairs


class BenchSite:
    """The pages of the benchmark site for a given local origin (deterministic for a given origin and N)."""

    def __init__(self, n_pages: int, origin: str, verify: bool = True):
        self.n = n_pages
        self.origin = origin.rstrip("/")
        self.bases: list[dict] = []
        self.pool: list[bytes] = []
        self._load(verify)
        self.paths = {self.path(i): i for i in range(n_pages)}

    # -- building the templates -----------------------------------------------------------------------------
    def _load(self, verify: bool) -> None:
        from pipelines.core import clean_page

        raw = []
        for pack in sorted(p for p in FIXTURES.iterdir() if (p / "manifest.json").exists()):
            manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
            for art in manifest["articles"]:
                case = json.loads((pack / "pages" / f"{art['name']}.json").read_text(encoding="utf-8"))
                text = (pack / "pages" / f"{art['name']}.html").read_text(encoding="utf-8")
                raw.append((manifest["family"], case, text))
        for family, case, text in raw:
            url = case["url"]
            parts = urlsplit(url)
            for old, new in _origin_pairs(parts.hostname, self.origin):
                text = text.replace(old, new)
            own = self.origin + parts.path + (f"?{parts.query}" if parts.query else "")
            result = clean_page(text.encode("utf-8"), own, case.get("headers"), None)
            if not result.ok:
                continue
            slots = []
            for para in result.record["text"].split("\n\n"):
                esc = htmlmod.escape(para, quote=False)
                if len(para.split()) >= 20 and text.count(esc) == 1:
                    slots.append(esc)
            if len(slots) < 2:
                continue
            # split the page at its own URL (plain and JSON-escaped) and at the replaceable paragraphs
            marks = [re.escape(own), re.escape(own.replace("/", "\\/"))] + [re.escape(s) for s in slots]
            pieces = re.split("(" + "|".join(marks) + ")", text)
            segments: list = []
            for k, piece in enumerate(pieces):
                if k % 2 == 0:
                    segments.append(piece.encode("utf-8"))
                elif piece == own:
                    segments.append(("url", False))
                elif piece == own.replace("/", "\\/"):
                    segments.append(("url", True))
                else:
                    segments.append(("para", None))
            self.pool.extend(s.encode("utf-8") for s in slots)
            self.bases.append({"family": family, "headers": case.get("headers") or {}, "segments": segments})
        if verify:
            good = []
            for b, base in enumerate(self.bases):
                i = b + 7 * len(self.bases)       # a variant, not the base page itself
                res = clean_page(self._render(base, b, i), self.origin + self._path(base, b, i), base["headers"], None)
                if res.ok and res.record["canonical_url"] == self.origin + self._path(base, b, i):
                    good.append(base)
            self.bases = good
        if not self.bases:
            raise RuntimeError("no usable fixture page")

    # -- pages ----------------------------------------------------------------------------------------------
    @staticmethod
    def _path(base: dict, b: int, i: int) -> str:
        return f"/news/{base['family']}/bai-viet-{b:03d}-{i:06d}.html"

    def path(self, i: int) -> str:
        b = i % len(self.bases)
        return self._path(self.bases[b], b, i)

    def url(self, i: int) -> str:
        return self.origin + self.path(i)

    def headers(self, i: int) -> dict:
        return self.bases[i % len(self.bases)]["headers"]

    def page(self, i: int) -> bytes:
        b = i % len(self.bases)
        return self._render(self.bases[b], b, i)

    def _render(self, base: dict, b: int, i: int) -> bytes:
        rng = random.Random(i)
        url = (self.origin + self._path(base, b, i)).encode("utf-8")
        out = []
        for seg in base["segments"]:
            if isinstance(seg, bytes):
                out.append(seg)
            elif seg[0] == "url":
                out.append(url.replace(b"/", b"\\/") if seg[1] else url)
            else:
                out.append(self.pool[rng.randrange(len(self.pool))])
        return b"".join(out)

    # -- discovery files ------------------------------------------------------------------------------------
    def robots(self) -> bytes:
        return f"User-agent: *\nAllow: /\n\nSitemap: {self.origin}/sitemap.xml\n".encode()

    def sitemap_index(self) -> bytes:
        n = (self.n + SITEMAP_SIZE - 1) // SITEMAP_SIZE
        items = "".join(f"<sitemap><loc>{self.origin}/sitemaps/{k}.xml</loc></sitemap>" for k in range(n))
        return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9">{items}</sitemapindex>').encode()

    def sitemap(self, k: int) -> bytes | None:
        lo, hi = k * SITEMAP_SIZE, min(self.n, (k + 1) * SITEMAP_SIZE)
        if lo >= hi:
            return None
        items = "".join(f"<url><loc>{self.url(i)}</loc></url>" for i in range(lo, hi))
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{items}</urlset>").encode()

    def respond(self, path: str) -> tuple[int, str, bytes]:
        i = self.paths.get(path)
        if i is not None:
            return 200, self.headers(i).get("Content-Type", "text/html; charset=utf-8"), self.page(i)
        if path == "/robots.txt":
            return 200, "text/plain", self.robots()
        if path == "/sitemap.xml":
            return 200, "application/xml", self.sitemap_index()
        m = re.fullmatch(r"/sitemaps/(\d+)\.xml", path)
        if m and (body := self.sitemap(int(m.group(1)))) is not None:
            return 200, "application/xml", body
        if path == "/":
            return 200, "text/html; charset=utf-8", (
                "<html><head><title>Trang chủ</title></head><body><h1>Trang chủ</h1></body></html>").encode()
        return 404, "text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1></body></html>"


class _Http(asyncio.Protocol):
    site: BenchSite

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            try:
                method, target, _ = line.split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            path = target.split("?", 1)[0]
            status, ctype, body = self.site.respond(path)
            reason = "OK" if status == 200 else "Not Found"
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: keep-alive\r\n\r\n".encode("latin-1") + (body if method != "HEAD" else b""))


async def _serve(n_pages: int, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", port, backlog=256)
    port = server.sockets[0].getsockname()[1]
    _Http.site = BenchSite(n_pages, f"http://127.0.0.1:{port}")
    print(f"READY {port} {len(_Http.site.bases)}", flush=True)
    async with server:
        await server.serve_forever()


async def _client(origin: str, paths: list[str], connections: int) -> int:
    """Fetch `paths` over `connections` keep-alive connections; returns the bytes received."""
    host, port = origin.split("://", 1)[1].split(":")
    queue = list(reversed(paths))
    total = 0

    async def worker():
        nonlocal total
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue:
            path = queue.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            total += len(await reader.readexactly(length))
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return total


def client_rate(origin: str, paths: list[str], connections: int = 8) -> dict:
    """Pages/s the server serves to a plain keep-alive client (the client's own cost included)."""
    import time
    t0 = time.perf_counter()
    nbytes = asyncio.run(_client(origin, paths, connections))
    wall = time.perf_counter() - t0
    return {"pages": len(paths), "seconds": wall, "pages_per_s": len(paths) / wall, "mb": nbytes / 1e6}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        asyncio.run(_serve(args.pages, args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

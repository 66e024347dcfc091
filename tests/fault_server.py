"""A fault-injecting web site on loopback, for the reliability and hostile-input tests.

A raw-socket HTTP/1.1 server (one thread per connection, `Connection: close` on every answer) serving a small
NukeViet-shaped site: a home page and a listing linking to 20 normal articles (real pages of the
quangninh-dcs fixture site, their links into the real site neutralised) and to one article-shaped URL per
fault. Raw sockets, so that it can lie: wrong Content-Length, truncated and endless chunked bodies,
connection resets, silence. Every thread ends by itself (bounded sleeps, bounded streams, socket timeouts),
and `stop()` joins them.

`FaultSite(hostile=True)` also serves hostile XML where the crawler looks for feeds and sitemaps
(billion laughs, external entities to a local file and to a URL of this server, a gzipped sitemap that
expands beyond the size limit) and an article carrying an external entity.

    with FaultSite("127.0.0.150") as site:
        site.base_url            # http://127.0.0.150:PORT/
        site.hits[path]          # requests per path
        site.faults              # {path: Fault}
"""
from __future__ import annotations

import json
import random
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parent
ARTICLES = ROOT / "fixtures" / "sites" / "quangninh-dcs" / "pages"
CHALLENGE = ROOT.parent / "crawler" / "demo" / "sites" / "heza" / "pages" / "bot-challenge-js-200.html"
REAL_ORIGIN = "https://quangninh.dcs.vn"
MIB = 1024 * 1024
BIG_PAGE = 50 * MIB            # the "50 MB page"
BOMB_EXPANDED = 1024 * MIB     # the gzip bomb's expanded size
SITEMAP_BOMB_EXPANDED = 256 * MIB
TIMEOUT_SLEEP = 4.5            # longer than the tests' DOWNLOAD_TIMEOUT (3 s), bounded
LOCAL_SECRET_FILE = "/etc/hostname"


@dataclass
class Fault:
    """One fault page: `kind` selects the behaviour, `expect` is the outcome the report must show:
    ("written",) / ("error", kind) / ("dropped", reason) / ("skipped", reason); ("part_of", reason): a hop of
    another fault's chain, counted once with it."""
    path: str
    kind: str
    expect: tuple
    article: dict | None = None        # the article served once the fault recovers, or served with a lie
    note: str = ""
    linked: bool = True                # linked from the home page and listing (else reached by a redirect)


def _articles() -> list[dict]:
    out = []
    for js in sorted(ARTICLES.glob("art-*.json")):
        meta = json.loads(js.read_text(encoding="utf-8"))
        if meta["expected"].get("drop_reason"):
            continue
        raw = js.with_suffix(".html").read_bytes()
        out.append({"name": js.stem, "real_url": meta["url"], "path": meta["url"][len(REAL_ORIGIN):],
                    "title": meta["expected"]["title"], "raw": raw})
    return out


_A_HREF = re.compile(rb"(<a\b[^>]*?\bhref\s*=\s*)([\"'])(.*?)\2", re.I | re.S)


def _localise(raw: bytes, origin: str) -> bytes:
    """The page with its origin rewritten to ours and every <a href> neutralised (the fixture pages link
    to the rest of the real site, which this server does not serve)."""
    body = raw.replace(REAL_ORIGIN.encode(), origin.encode()).replace(b"http://quangninh.dcs.vn", origin.encode())
    return _A_HREF.sub(lambda m: m.group(1) + b'"#"', body)


_bomb_cache: dict[int, bytes] = {}


def gzip_bomb(expanded: int, chunk: bytes = b"\0") -> bytes:
    """gzip of `expanded` bytes of `chunk` repeated, built a MiB at a time (never held expanded)."""
    key = (expanded, chunk)
    if key not in _bomb_cache:
        block = (chunk * (MIB // len(chunk) + 1))[:MIB]
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)   # 31: gzip container
        parts = []
        for _ in range(expanded // MIB):
            parts.append(comp.compress(block))
        parts.append(comp.flush())
        _bomb_cache[key] = b"".join(parts)
    return _bomb_cache[key]


BILLION_LAUGHS_DTD = b"""<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def xxe_dtd(probe_url: str, secret_file: str = LOCAL_SECRET_FILE) -> bytes:
    return (f'<!DOCTYPE r [\n <!ENTITY xxefile SYSTEM "file://{secret_file}">\n'
            f' <!ENTITY xxeurl SYSTEM "{probe_url}">\n'
            f' <!ENTITY % xxeparam SYSTEM "{probe_url}-param">\n %xxeparam;\n]>\n').encode()


class FaultSite:
    def __init__(self, host: str = "127.0.0.150", hostile: bool = False, faults: bool = True,
                 secret_file: str = LOCAL_SECRET_FILE):
        self.host = host
        self.secret_file = secret_file
        self.hostile = hostile
        self.hits: Counter = Counter()
        self.log: list[tuple[str, str]] = []        # (method, path) in arrival order
        self.times: dict[str, list[float]] = {}     # path -> time.monotonic() of each request
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.port = self._sock.getsockname()[1]
        self.origin = f"http://{host}:{self.port}"
        self.base_url = self.origin + "/"
        self.probe_path = "/xxe-probe"
        arts = _articles()
        self.normal = arts[:20] if not hostile else arts[:3]
        spare = arts[20:]
        for art in arts:
            art["body"] = _localise(art["raw"], self.origin)
        self.faults: dict[str, Fault] = {}
        if hostile:
            self._define_hostile(spare)
        elif faults:
            self._define_faults(spare)
        self._pages = {a["path"]: a for a in self.normal}
        self.bomb = gzip_bomb(SITEMAP_BOMB_EXPANDED, b" ") if hostile else gzip_bomb(BOMB_EXPANDED) if faults else b""
        self.streamed: Counter = Counter()          # bytes sent per path by the streaming faults

    # -- the site -----------------------------------------------------------------------------------------
    def _define_faults(self, spare: list[dict]) -> None:
        def add(slug, n, kind, expect, article=None, note="", linked=True):
            path = f"/news/loi/{slug}-{n}.html"
            self.faults[path] = Fault(path, kind, expect, article, note, linked)

        add("tra-loi-500-roi-phuc-hoi", 9101, "status_then_ok:500:1", ("written",), spare[0], "500 once, then the page")
        add("tra-loi-502-roi-phuc-hoi", 9102, "status_then_ok:502:2", ("written",), spare[1], "502 twice, then the page")
        add("tra-loi-503-retry-after", 9103, "status_then_ok:503:1:1", ("written",), spare[2],
            "503 with Retry-After: 1, then the page")
        add("tra-loi-429-retry-after", 9104, "status_then_ok:429:1:1", ("written",), spare[3],
            "429 with Retry-After: 1, then the page")
        add("tra-loi-500-mai-mai", 9105, "status:500", ("error", "http_500"), note="500 on every attempt")
        add("tra-loi-503-retry-after-1-gio", 9106, "status:503:3600", ("error", "http_503"),
            note="503 with Retry-After: 3600 on every attempt")
        add("het-gio-khong-tra-loi", 9201, "silence", ("error", "DownloadTimeoutError"), note="no answer")
        add("het-gio-nho-giot", 9202, "drip", ("error", "DownloadTimeoutError"), note="headers, then a byte a second")
        add("ngat-ket-noi", 9203, "reset", ("error", "ConnectionLost|DownloadFailedError|ResponseNeverReceived"),
            note="TCP reset after the request")
        add("noi-dung-bi-cat", 9204, "short_body", ("error", "ResponseDataLossError"),
            note="Content-Length 3x the bytes sent, then close")
        add("chunked-bi-cat", 9205, "chunked_truncated", ("error", "ResponseDataLossError"),
            note="chunked body cut before the last chunk")
        add("content-type-sai-charset", 9301, "charset_lie", ("written",), spare[4],
            "UTF-8 bytes declared as iso-8859-1")
        add("content-type-sai-text-plain", 9302, "type_lie:text/plain; charset=utf-8", ("skipped", "not_html"), spare[5],
            "an article declared text/plain")
        add("content-type-sai-octet", 9303, "type_lie:application/octet-stream", ("dropped", "not_html"), spare[6],
            "an article declared application/octet-stream")
        add("nhi-phan-la-html", 9304, "binary", ("dropped", "not_html|undecodable"), note="random bytes as text/html")
        add("pdf-la-html", 9305, "pdf", ("dropped", "not_html"), note="a PDF as text/html")
        add("bom-gzip", 9401, "gzip_bomb", ("skipped", "size_limit"), note="1 GiB of zeros gzipped to ~1 MB")
        add("trang-50mb", 9402, "big_declared", ("skipped", "size_limit"), note="50 MB with Content-Length")
        add("trang-50mb-khong-do-dai", 9403, "big_undeclared", ("skipped", "size_limit"),
            note="50 MB, no Content-Length (ends at close)")
        add("luong-vo-tan", 9404, "endless_chunked", ("skipped", "size_limit"), note="an endless chunked stream")
        add("chuyen-huong-vong-a", 9501, "redirect:/news/loi/chuyen-huong-vong-b-9502.html", ("skipped", "redirect_loop"),
            note="a -> b -> a")
        add("chuyen-huong-vong-b", 9502, "redirect:/news/loi/chuyen-huong-vong-a-9501.html", ("part_of", "redirect_loop"),
            note="the other half of the loop, reached only by the redirect", linked=False)
        add("chuyen-huong-chinh-no", 9507, "redirect:/news/loi/chuyen-huong-chinh-no-9507.html", ("skipped", "redirect_loop"),
            note="a redirect to itself")
        add("chuyen-huong-dai", 9503, "redirect_chain:0", ("skipped", "redirect_limit"), note="8 redirects in a row")
        add("chuyen-huong-ngoai-site", 9504, "redirect:http://evil.example/news/x/bai-viet-1.html",
            ("skipped", "offsite_redirect"), note="301 to another host")
        add("chuyen-huong-metadata", 9505, "redirect:http://169.254.169.254/latest/meta-data/",
            ("skipped", "offsite_redirect"), note="302 to the cloud metadata address")
        add("chuyen-huong-mang-noi-bo", 9506, "redirect:http://10.0.0.1/news/x/bai-viet-2.html",
            ("skipped", "offsite_redirect"), note="302 to a private address")
        add("html-hong", 9601, "malformed", ("dropped", "*"), note="unclosed tags, stray bytes, broken attributes")
        add("html-long-sau", 9602, "deep", ("dropped", "*"), note="100,000 nested <div>s")
        add("trang-thu-thach-bot", 9603, "challenge", ("dropped", "bot_challenge"), note="JS challenge page, status 200")

    def _define_hostile(self, spare: list[dict]) -> None:
        path = "/news/doc-hai/bai-co-thuc-the-ngoai-9701.html"
        self.faults[path] = Fault(path, "xxe_article", ("written",), spare[0], "an article with an external-entity DTD")

    # -- serving ------------------------------------------------------------------------------------------
    def __enter__(self) -> "FaultSite":
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._acceptor = t
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._acceptor.join(5)
        self._sock.close()
        for t in list(self._threads):
            t.join(10)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, _, rest = line.partition(" ")
            path = rest.rsplit(" ", 1)[0]
            with self._lock:
                self.hits[path] += 1
                self.log.append((method, path))
                self.times.setdefault(path, []).append(time.monotonic())
                count = self.hits[path]
            self._route(conn, path, count)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    # responses
    @staticmethod
    def _send(conn, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
              headers: dict | None = None, length: int | None = None) -> None:
        reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 429: "Too Many Requests",
                  500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "X")
        lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _route(self, conn, path: str, count: int) -> None:
        if path == "/robots.txt":
            robots = "User-agent: *\nDisallow: /private/\n"
            if self.hostile:
                robots += f"Sitemap: {self.origin}/sitemap-bomb.xml.gz\nSitemap: {self.origin}/sitemap.xml\n"
            return self._send(conn, 200, robots.encode(), "text/plain")
        if path in ("/", "/news/", "/news/tin-tuc/"):
            return self._send(conn, 200, self._listing(path))
        if path in self._pages:
            return self._send(conn, 200, self._pages[path]["body"])
        if self.hostile:
            body = self._hostile_xml(path)
            if body is not None:
                ctype = "application/gzip" if path.endswith(".gz") else "application/xml"
                return self._send(conn, 200, body, ctype)
        fault = self.faults.get(path.split("?")[0])
        if fault is None:
            return self._send(conn, 404, b"<html><head><title>404</title></head><body>Not found</body></html>")
        return self._fault(conn, fault, count, path.partition("?")[2])

    def _listing(self, path: str) -> bytes:
        links = [(a["path"], a["title"]) for a in self.normal]
        links += [(p, f"Bài {p.rsplit('/', 1)[1][:-5]}") for p, f in self.faults.items() if f.linked]
        items = "\n".join(f'<li><a href="{p}">{t}</a></li>' for p, t in links)
        extra = '<a href="/news/tin-tuc/">Tin tức</a> <a href="http://evil.example/news/x/bai-ngoai-1.html">Ngoài</a>'
        return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trang chủ</title>'
                f'<meta name="generator" content="NukeViet v4.5"></head><body><nav>{extra}</nav>'
                f'<ul class="list">{items}</ul></body></html>').encode()

    def _fault(self, conn, fault: Fault, count: int, query: str = "") -> None:
        kind, _, arg = fault.kind.partition(":")
        art = fault.article
        if kind == "status_then_ok":
            parts = arg.split(":")
            status, times = int(parts[0]), int(parts[1])
            if count <= times:
                headers = {"Retry-After": parts[2]} if len(parts) > 2 else None
                return self._send(conn, status, b"<html><body>Try later</body></html>", headers=headers)
            return self._send(conn, 200, art["body"])
        if kind == "status":
            status, _, retry_after = arg.partition(":")
            headers = {"Retry-After": retry_after} if retry_after else None
            return self._send(conn, int(status), b"<html><body>Error</body></html>", headers=headers)
        if kind == "silence":
            self._stop.wait(TIMEOUT_SLEEP)
            return None
        if kind == "drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            deadline = time.monotonic() + TIMEOUT_SLEEP
            while time.monotonic() < deadline and not self._stop.is_set():
                conn.sendall(b"<")
                time.sleep(0.5)
            return None
        if kind == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return None                                        # close() now sends RST
        if kind == "short_body":
            body = self.normal[0]["body"][:4000]
            return self._send(conn, 200, body, length=len(body) * 3)
        if kind == "chunked_truncated":
            body = self.normal[1]["body"][:6000]
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body) + 500:x}\r\n".encode() + body)
            return None
        if kind == "charset_lie":
            return self._send(conn, 200, art["body"], "text/html; charset=iso-8859-1")
        if kind == "type_lie":
            return self._send(conn, 200, art["body"], arg)
        if kind == "binary":
            rnd = random.Random(fault.path)
            return self._send(conn, 200, bytes(rnd.getrandbits(8) for _ in range(40000)))
        if kind == "pdf":
            pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                   b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n") * 50
            return self._send(conn, 200, pdf)
        if kind == "gzip_bomb":
            return self._send(conn, 200, self.bomb, headers={"Content-Encoding": "gzip"})
        if kind in ("big_declared", "big_undeclared"):
            head = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
                    + (f"Content-Length: {BIG_PAGE}\r\n".encode() if kind == "big_declared" else b"") + b"\r\n")
            conn.sendall(head + b"<html><body>")
            block = b"<p>" + "Nội dung rất dài của một trang lớn. ".encode() * 1500 + b"</p>\n"
            sent = 0
            while sent < BIG_PAGE and not self._stop.is_set():
                conn.sendall(block)
                sent += len(block)
                self.streamed[fault.path] += len(block)
            return None
        if kind == "endless_chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            block = b"<div>" + "Dòng chảy không bao giờ dứt. ".encode() * 2000 + b"</div>\n"
            chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
            deadline = time.monotonic() + 20           # bounded: the client gives up far earlier
            while time.monotonic() < deadline and not self._stop.is_set():
                conn.sendall(chunk)
                self.streamed[fault.path] += len(block)
            return None
        if kind == "redirect":
            location = arg if arg.startswith("http") else self.origin + arg
            return self._send(conn, 301 if "evil" in arg else 302, b"", headers={"Location": location})
        if kind == "redirect_chain":
            hop = int(query.partition("hop=")[2] or 0)
            nxt = f"{fault.path}?hop={hop + 1}"
            return self._send(conn, 302, b"", headers={"Location": self.origin + nxt})
        if kind == "malformed":
            body = ("<html><head><title>Trang hỏng<body><div class='a\"b><p>Đảng bộ tỉnh <b><i>họp</b></i> "
                    "<table><tr><td>ô<td><p>đoạn</table></div></div></div><script>var x = '</p>';"
                    "<p attr==='x' <<<>>> &#xD800; &#99999999; &bogus; </html> sau kết thúc <p>thêm").encode()
            return self._send(conn, 200, body + b"\xff\xfe\x00 bytes \xc3\x28 invalid")
        if kind == "deep":
            depth = 100_000
            body = ("<html><head><title>Long sâu</title></head><body>".encode() + b"<div>" * depth
                    + "Văn bản ở đáy của một cây rất sâu. ".encode() * 20 + b"</div>" * depth + b"</body></html>")
            return self._send(conn, 200, body)
        if kind == "challenge":
            return self._send(conn, 200, CHALLENGE.read_bytes())
        if kind == "xxe_article":
            body = art["body"]
            dtd = xxe_dtd(self.origin + self.probe_path, self.secret_file)
            body = re.sub(rb"^\s*<!DOCTYPE[^>]*>", b"", body, count=1, flags=re.I)
            body = dtd.replace(b"<!DOCTYPE r", b"<!DOCTYPE html") + body.replace(b"</h1>", b"&xxefile;&xxeurl;</h1>", 1)
            return self._send(conn, 200, body)
        return self._send(conn, 500, b"unknown fault")

    # -- hostile XML --------------------------------------------------------------------------------------
    def _hostile_xml(self, path: str) -> bytes | None:
        arts = [self.origin + a["path"] for a in self.normal]
        probe = self.origin + self.probe_path
        if path == "/sitemap.xml":          # billion laughs in a urlset, next to a real entry
            return (b'<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD
                    + b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + f"<url><loc>{arts[0]}</loc></url>".encode()
                    + b"<url><loc>" + self.origin.encode() + b"/news/lol/&lol9;-1.html</loc></url></urlset>")
        if path == "/wp-sitemap.xml":       # sitemap index with external entities
            return (b'<?xml version="1.0"?>\n' + xxe_dtd(probe, self.secret_file)
                    + b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + f"<sitemap><loc>{self.origin}/sm-&xxefile;.xml</loc></sitemap>".encode()
                    + b"<sitemap><loc>&xxeurl;</loc></sitemap>"
                    + f"<sitemap><loc>{self.origin}/sitemap-2.xml</loc></sitemap>".encode()
                    + b"</sitemapindex>")
        if path == "/sitemap-2.xml":
            return (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + f"<url><loc>{arts[1]}</loc></url></urlset>".encode())
        if path == "/sitemap_index.xml":    # billion laughs in a sitemap index
            return (b'<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD
                    + b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + b"<sitemap><loc>&lol9;</loc></sitemap></sitemapindex>")
        if path == "/rss/":                 # RSS with external entities, next to a real item
            return (b'<?xml version="1.0" encoding="utf-8"?>\n' + xxe_dtd(probe, self.secret_file)
                    + b'<rss version="2.0"><channel><title>&xxefile;</title>'
                    + f"<item><title>a</title><link>{arts[2]}</link></item>".encode()
                    + f"<item><title>b</title><link>{self.origin}/news/x/&xxefile;-7.html</link></item>".encode()
                    + b"<item><title>c</title><link>&xxeurl;</link></item></channel></rss>")
        if path == "/feed/":                # billion laughs RSS
            return (b'<?xml version="1.0"?>\n' + BILLION_LAUGHS_DTD
                    + b'<rss version="2.0"><channel><title>&lol9;</title><item><link>'
                    + self.origin.encode() + b"/news/lol/&lol9;-2.html</link></item></channel></rss>")
        if path == "/feeds/":               # atom feed whose entity is a parameter entity to our probe
            return (b'<?xml version="1.0"?>\n' + xxe_dtd(probe + "-atom", self.secret_file)
                    + b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="&xxeurl;"/></entry></feed>')
        if path == "/sitemap-bomb.xml.gz":  # a gzipped sitemap expanding beyond DOWNLOAD_MAXSIZE
            return self.bomb
        return None

    def probe_hits(self) -> int:
        return sum(n for p, n in self.hits.items() if p.startswith(self.probe_path))


if __name__ == "__main__":   # python tests/fault_server.py [hostile]: serve for a manual look
    import sys

    with FaultSite(hostile="hostile" in sys.argv[1:]) as site:
        print("serving", site.base_url, "for 600 s")
        time.sleep(600)

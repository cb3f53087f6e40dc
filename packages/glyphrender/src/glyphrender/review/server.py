"""The review page's local web server (stdlib ``http.server``, bound to 127.0.0.1 only).

Routes::

    GET  /                     the page (static/index.html, review.js, review.css)
    GET  /api/state            glyphs, their quality proxies and statuses, counts, context
    GET  /img/gen/<cp>.png     a generated glyph as assemble will use it
    GET  /img/src/<cp>.png     the source glyph it was generated from
    GET  /img/target/<cp>.png  one of the target font's own glyphs (a replacement
                               candidate's: the glyph it would replace)
    GET  /img/line.png?text=   a line of text: generated glyphs in red among the font's own
    POST /api/decisions        {"U+4E00": "accepted" | "rejected" | "undecided", ...}

Requests must name this server in their Host header and POSTs must be JSON, so another web
page open in the browser cannot change the decisions (no CORS preflight is ever answered).
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from glyphrender import stop
from glyphrender.errors import DatasetError, GlyphrenderError
from glyphrender.generated.decisions import DECISIONS_NAME, DecisionStore, decisions_path
from glyphrender.outputs import check_writable
from glyphrender.review.catalog import ReviewCatalog, line_png, png_of

HOST = "127.0.0.1"
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/review.js": ("review.js", "text/javascript; charset=utf-8"),
    "/static/review.css": ("review.css", "text/css; charset=utf-8"),
}
_IMAGE = re.compile(r"^/img/(gen|src|target)/(\d{1,7})\.png$")  # code points are < 0x110000
MAX_BODY = 1 << 20  # a POST holds at most one page of decisions


def state_json(catalog: ReviewCatalog, store: DecisionStore) -> dict[str, Any]:
    """Everything the page needs to lay itself out, in one response."""
    statuses = store.snapshot()
    origin = catalog.origin
    font_ids = [None] * len(catalog.stats) if origin is None else origin.font_ids.tolist()
    return {
        "folder": str(catalog.folder),
        "style_name": catalog.meta.style_name,
        "glyph_px": catalog.meta.glyph_px,
        "has_source": catalog.sources is not None,
        "source_fonts": [] if origin is None else [str(f.get("name", "?")) for f in origin.fonts],
        "target_name": catalog.base_name,
        "context": catalog.context,
        "decisions_file": str(catalog.folder / DECISIONS_NAME),
        "counts": store.counts(statuses),  # the same read as the statuses
        "replacements": len(catalog.replacements),
        "glyphs": [
            {
                "cp": s.codepoint,
                "ink": s.ink,
                "dis": s.disagreement,
                "edited": s.edited,
                "status": statuses.get(s.codepoint, "undecided"),
                "src_font": font_id,
                "replaces": s.codepoint in catalog.replacements,
            }
            for s, font_id in zip(catalog.stats, font_ids, strict=True)
        ],
    }


def parse_changes(body: bytes) -> dict[int, str]:
    """``{"U+4E00": "accepted"}`` -> ``{0x4E00: "accepted"}``; ValueError when malformed."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError("expected a non-empty object of U+XXXX: status")
    changes = {}
    for key, status in data.items():
        match = re.fullmatch(r"U\+([0-9A-Fa-f]{4,6})", str(key))
        if match is None or not isinstance(status, str):
            raise ValueError(f"bad entry {key!r}: {status!r}")
        changes[int(match.group(1), 16)] = status
    return changes


class ReviewHandler(BaseHTTPRequestHandler):
    """One request; the catalog and decision store live on the server."""

    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass  # a request per image would flood the terminal

    def _send(self, status: int, body: bytes, content_type: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"error": "wrong Host header"})
        url = urlsplit(self.path)
        catalog = self.server.catalog
        try:
            if url.path in STATIC:
                name, content_type = STATIC[url.path]
                body = resources.files("glyphrender.review").joinpath("static", name).read_bytes()
                return self._send(HTTPStatus.OK, body, content_type)
            if url.path == "/api/state":
                return self._json(HTTPStatus.OK, state_json(catalog, self.server.store))
            if url.path == "/img/line.png":
                text = parse_qs(url.query).get("text", [""])[0]
                return self._send(HTTPStatus.OK, line_png(catalog, text), "image/png")
            match = _IMAGE.match(url.path)
            if match is not None:
                return self._image(match.group(1), int(match.group(2)))
        except GlyphrenderError as exc:
            return self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {url.path}"})

    def _image(self, kind: str, codepoint: int) -> None:
        catalog = self.server.catalog
        if kind == "gen":
            # Not cached: an edited PNG must show up on reload.
            return self._send(HTTPStatus.OK, catalog.generated_png(codepoint), "image/png")
        image = catalog.source(codepoint) if kind == "src" else catalog.target(codepoint)
        if image is None:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no {kind} glyph U+{codepoint:04X}"})
        return self._send(HTTPStatus.OK, png_of(image), "image/png", cache=True)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"error": "wrong Host header"})
        if urlsplit(self.path).path != "/api/decisions":
            return self._json(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
        length = _content_length(self.headers.get("Content-Length"))
        if not 0 < length <= MAX_BODY:
            self.close_connection = True  # the body, if any, is never read
            return self._json(HTTPStatus.BAD_REQUEST, {"error": "bad Content-Length"})
        try:
            changes = parse_changes(self.rfile.read(length))
            counts = self.server.store.set(changes)
        except (ValueError, RecursionError, DatasetError) as exc:  # the request's fault
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except GlyphrenderError as exc:  # not saved (full disk, read-only, folder busy)
            return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
        return self._json(HTTPStatus.OK, {"counts": counts})


def _content_length(header: str | None) -> int:
    """The Content-Length header as a number; -1 when it is not a plain decimal number."""
    text = (header or "0").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else -1


class ReviewServer(ThreadingHTTPServer):
    """Serves one folder's review page on 127.0.0.1 (``port`` 0: any free port)."""

    daemon_threads = True
    request_queue_size = 128  # the page loads dozens of images at once; 5 resets a burst

    def __init__(self, catalog: ReviewCatalog, store: DecisionStore, port: int = 0) -> None:
        self.catalog = catalog
        self.store = store
        super().__init__((HOST, port), ReviewHandler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def service_actions(self) -> None:
        """Between requests (at least every half second): a Ctrl-C or SIGTERM whose exception
        was dropped still ends ``serve_forever`` (see glyphrender.stop)."""
        super().service_actions()
        stop.check()


def open_review(
    folder: str,
    base_font: str | None = None,
    dataset_dir: str | None = None,
    port: int = 0,
) -> ReviewServer:
    """Load a generated folder and bind its review server (call ``serve_forever`` to run).

    Raises :class:`GlyphrenderError` (one line) when the folder, font or port is unusable, or
    the folder cannot be written (a read-only disk: no decision could be saved).
    """
    catalog = ReviewCatalog(folder, base_font, dataset_dir)
    check_writable(decisions_path(folder), "the review decisions")  # else no click could save
    store = DecisionStore(folder, catalog.codepoints)
    try:
        return ReviewServer(catalog, store, port)
    except OSError as exc:
        raise GlyphrenderError(
            f"cannot listen on {HOST}:{port} ({exc.strerror or exc}); choose another --port"
        ) from None

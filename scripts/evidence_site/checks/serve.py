"""A local static server that behaves like a real static host, and counts the bytes it sends.

Like GitHub Pages, Netlify or nginx with ``gzip on``, it gzips text responses for clients that accept
it, sends an ETag, answers ``If-None-Match`` with 304, lets the browser cache assets for a while and
asks it to revalidate HTML. ``python -m http.server`` does none of that, so page weights measured
against it would be wrong. Every response is logged with its size on the wire (status line, headers
and body), so a caller can sum what one page visit cost.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
import time
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

# Types a static host compresses.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
GZIP_LEVEL = 6  # the common default of static hosts and CDNs
ASSET_MAX_AGE = 600  # seconds; what GitHub Pages sends


@dataclass(frozen=True)
class Transfer:
    """One response as it went over the wire."""

    path: str
    status: int
    bytes: int  # status line + headers + body
    gzipped: bool


def gzip_bytes(body: bytes) -> bytes:
    """Gzip ``body`` deterministically (no timestamp in the header), as the server sends it."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def content_type(path: Path) -> str:
    """The Content-Type a static host sends for ``path``."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml"):
        kind += "; charset=utf-8"
    return kind


def is_compressible(kind: str) -> bool:
    """True when a static host would gzip a response of this Content-Type."""
    return kind.startswith(COMPRESSIBLE)


class TransferLog:
    """A thread-safe, append-only list of transfers, with marks to slice one visit out of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Transfer] = []
        self._in_flight = 0
        self._last_activity = time.monotonic()

    def started(self) -> None:
        """A request arrived."""
        with self._lock:
            self._in_flight += 1
            self._last_activity = time.monotonic()

    def add(self, transfer: Transfer) -> int:
        """A response is about to be sent: logged before its first byte leaves, so responses to requests a
        client makes one after another are logged in that order (the client cannot send the next request
        before it has this response). Returns its place, for ``cut``."""
        with self._lock:
            self._items.append(transfer)
            self._last_activity = time.monotonic()
            return len(self._items) - 1

    def cut(self, place: int) -> None:
        """The response logged at ``place`` was cut off: the client closed the connection before its end."""
        with self._lock:
            self._items[place] = Transfer(self._items[place].path, 499, 0, False)

    def finished(self) -> None:
        """A request is done with: its response sent, or the connection lost."""
        with self._lock:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> bool:
        """Block until no request is open and none arrived for ``quiet`` seconds; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle_for = time.monotonic() - self._last_activity
                busy = self._in_flight > 0
            if not busy and idle_for >= quiet:
                return True
            time.sleep(0.05)
        return False

    def mark(self) -> int:
        """A position in the log; pass it to ``since`` later."""
        with self._lock:
            return len(self._items)

    def since(self, mark: int) -> list[Transfer]:
        with self._lock:
            return list(self._items[mark:])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real host

    def __init__(self, *args: object, root: Path, log: TransferLog, cache: dict, **kwargs: object) -> None:
        self.root, self.log, self.cache = root, log, cache
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _file(self) -> Path | None:
        path = unquote(urlsplit(self.path).path)
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root):
            return None
        if file.is_dir():
            file = file / "index.html"
        return file if file.is_file() else None

    def _body(self, file: Path, gzipped: bool) -> tuple[bytes, str]:
        stat = file.stat()
        key = (file, stat.st_mtime_ns, gzipped)
        if key not in self.cache:
            raw = file.read_bytes()
            body = gzip_bytes(raw) if gzipped else raw
            self.cache[key] = (body, '"' + hashlib.sha1(raw).hexdigest()[:16] + '"')
        return self.cache[key]

    def do_GET(self) -> None:
        self.log.started()
        self._place: int | None = None
        try:
            self._serve()
        except OSError:  # the browser closed the connection mid-response
            self.close_connection = True
            if self._place is not None:
                self.log.cut(self._place)
        finally:
            if self._place is None:
                self.log.add(Transfer(urlsplit(self.path).path, 499, 0, False))
            self.log.finished()

    def _serve(self) -> None:
        file = self._file()
        if file is None:
            missing = self.root / "404.html"
            self._send(404, missing.read_bytes() if missing.is_file() else b"Not found", "text/html; charset=utf-8")
            return
        kind = content_type(file)
        gzipped = is_compressible(kind) and "gzip" in self.headers.get("Accept-Encoding", "")
        body, etag = self._body(file, gzipped)
        headers = {
            "ETag": etag,
            "Cache-Control": "no-cache" if kind.startswith("text/html") else f"max-age={ASSET_MAX_AGE}",
            "Vary": "Accept-Encoding",
        }
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        if etag in self.headers.get("If-None-Match", ""):
            self._send(304, b"", kind, headers)
        else:
            self._send(200, body, kind, headers)

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        head = sum(len(line) for line in self._headers_buffer) + 2  # + the blank line
        sent, gzipped = head + len(body) * (status != 304), "Content-Encoding" in (headers or {})
        self._place = self.log.add(Transfer(urlsplit(self.path).path, status, sent, gzipped))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class StaticServer:
    """Serves ``root`` on 127.0.0.1 at an ephemeral port from a background thread; use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.log = TransferLog()
        handler = partial(_Handler, root=self.root, log=self.log, cache={})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="static-server", daemon=True)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

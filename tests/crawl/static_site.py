"""A tiny threaded HTTP server for crawler tests: fixed paths → (content type, body), every
other path 404; the paths requested are kept in order (query strings included)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StaticSite:
    url: str  # http://127.0.0.1:PORT/
    requested: list[str] = field(default_factory=list)


@contextmanager
def serve(pages: Mapping[str, tuple[str, bytes | str]]) -> Iterator[StaticSite]:
    site = StaticSite("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            kind, body = pages.get(self.path.split("?")[0], ("text/html", b"not found"))
            data = body.encode() if isinstance(body, str) else body
            self.send_response(200 if self.path.split("?")[0] in pages else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()

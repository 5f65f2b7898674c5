"""A synthetic origin site for the licence-evidence tests: a real local HTTP server
(pytest-httpserver) whose pages the test changes between checks, honouring conditional
GET as a well-behaved server does, and recording what it was asked."""

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures" / "licensing"
TYPES = {
    ".txt": "text/plain",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".rsl": "application/rsl+xml",
    ".xml": "application/rss+xml",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class Site:
    """Path → Page; a path not set answers 404."""

    def __init__(self, httpserver):
        self.httpserver = httpserver
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, dict]] = []
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self._answer)

    def url(self, path: str = "/") -> str:
        return self.httpserver.url_for(path)

    def set(self, path: str, name_or_body, *, status: int = 200, **options) -> None:
        if isinstance(name_or_body, str):
            body = fixture(name_or_body)
            options.setdefault("content_type", TYPES[Path(name_or_body).suffix])
        else:
            body = name_or_body
        self.pages[path] = Page(status=status, body=body, **options)

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        self.pages[path] = Page(status=status, headers={"Location": to})

    def remove(self, path: str, status: int = 404) -> None:
        self.pages[path] = Page(status=status, body=b"gone")

    def asked(self, path: str) -> list[dict]:
        return [headers for asked, headers in self.requests if asked == path]

    def _answer(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.headers)))
        page = self.pages.get(request.path)
        if page is None:
            return Response(b"not here", status=404)
        if page.delay:
            time.sleep(page.delay)
        headers = dict(page.headers)
        if page.status == 200:
            etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers=headers)
        return Response(
            page.body, status=page.status, headers=headers, content_type=page.content_type
        )

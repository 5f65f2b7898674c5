"""WordPress's REST API, as courtesy uses it: read posts, set a post's status, ask for a
post's public page. Authentication is an application password (Basic auth, WordPress 5.6+).

The API root is discovered as WordPress advertises it (the `Link: <…>; rel="https://api.w.org/"`
header of the home page), so sites without pretty permalinks (`?rest_route=`) work too.
Failures raise WordPressError with a sentence staff can act on."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

API_REL = "https://api.w.org/"
PER_PAGE = 100
# Every post status an officer may need to see; `trash` and `auto-draft` are never public.
STATUSES = "publish,future,draft,pending,private"
PUBLIC_STATUSES = frozenset({"publish"})


class WordPressError(Exception):
    """What went wrong talking to a site, in words; `retry_after` when it asked us to wait."""

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Post:
    id: int
    status: str
    link: str
    title: str
    content: str  # the stored HTML (context=edit's "raw", else "rendered")
    modified_gmt: datetime | None
    meta: dict

    @classmethod
    def of(cls, data: dict) -> "Post":
        def text(value) -> str:
            if isinstance(value, dict):
                return str(value.get("raw", value.get("rendered", "")) or "")
            return str(value or "")

        modified = parse_datetime(str(data.get("modified_gmt") or ""))
        return cls(
            id=int(data["id"]),
            status=str(data.get("status", "")),
            link=str(data.get("link", "")),
            title=text(data.get("title")),
            content=text(data.get("content")),
            modified_gmt=modified.replace(tzinfo=UTC) if modified else None,
            meta=data.get("meta") if isinstance(data.get("meta"), dict) else {},
        )


def _explain(response: requests.Response) -> str:
    try:
        body = response.json()
        detail = f"{body.get('code')}: {body.get('message')}"
    except (ValueError, AttributeError):
        detail = response.text[:200].strip()
    if response.status_code in (401, 403):
        return (
            f"WordPress refused the credentials (HTTP {response.status_code}, {detail}): "
            "check the user and its application password"
        )
    return f"WordPress answered HTTP {response.status_code} ({detail})"


class WordPressClient:
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 0):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (username, password)
        self.session.headers["User-Agent"] = settings.FETCH_USER_AGENT
        self.timeout = timeout or settings.FETCH_TIMEOUT_SECONDS
        self._root = ""
        self._gmt_offset = 0.0

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise WordPressError(f"{url}: timed out after {self.timeout}s") from exc
        except requests.RequestException as exc:
            raise WordPressError(f"cannot reach {url}: {type(exc).__name__}") from exc
        if response.status_code in (429, 503):
            value = response.headers.get("Retry-After", "")
            raise WordPressError(
                _explain(response), retry_after=int(value) if value.isdigit() else None
            )
        return response

    def root(self) -> str:
        """The API root, e.g. https://site/wp-json/ (discovered once per client)."""
        if not self._root:
            response = self._request("GET", self.base_url)
            link = response.links.get(API_REL, {}).get("url")
            self._root = link or urljoin(self.base_url, "wp-json/")
            index = self._request("GET", self._root)
            if index.status_code != 200:
                raise WordPressError(f"{self._root} is not a WordPress REST API: {_explain(index)}")
            try:
                self._gmt_offset = float(index.json().get("gmt_offset") or 0)
            except (ValueError, AttributeError, TypeError):
                self._gmt_offset = 0.0
        return self._root

    def _route(self, route: str) -> str:
        root = self.root()
        if "rest_route=" in root:  # ?rest_route=/ : the route goes inside the parameter
            return root.rstrip("/") + route
        return urljoin(root, route.lstrip("/"))

    def check_credentials(self) -> None:
        """WordPress treats a wrong application password as no login at all: ask who we are."""
        response = self._request("GET", self._route("/wp/v2/users/me"), params={"context": "edit"})
        if response.status_code != 200:
            raise WordPressError(_explain(response))
        if "edit_posts" not in (response.json().get("capabilities") or {}):
            raise WordPressError(
                f"WordPress user {self.session.auth[0]!r} may not edit posts: courtesy cannot "
                "unpublish anything with it"
            )

    def posts_modified_after(self, since: datetime | None) -> Iterator[list[Post]]:
        """Pages of posts, oldest modification first, modified after `since` (UTC)."""
        params = {
            "context": "edit",
            "status": STATUSES,
            "orderby": "modified",
            "order": "asc",
            "per_page": PER_PAGE,
        }
        if since is not None:
            self.root()
            # WordPress compares with the site's local time; one second earlier, because
            # "after" is strict and posts modified in that second must not be missed.
            local = since.astimezone(UTC) + timedelta(hours=self._gmt_offset, seconds=-1)
            params["modified_after"] = local.replace(tzinfo=None).isoformat(timespec="seconds")
        page = 1
        while True:
            response = self._request(
                "GET", self._route("/wp/v2/posts"), params=params | {"page": page}
            )
            if response.status_code == 400 and page > 1:
                return  # past the last page
            if response.status_code != 200:
                raise WordPressError(_explain(response))
            try:
                posts = [Post.of(data) for data in response.json()]
            except (ValueError, KeyError, TypeError) as exc:
                raise WordPressError(f"WordPress sent posts courtesy cannot read: {exc}") from exc
            if posts:
                yield posts
            total_pages = int(response.headers.get("X-WP-TotalPages") or page)
            if page >= total_pages or not posts:
                return
            page += 1

    def post_set_status(self, post_id: int, status: str) -> Post:
        response = self._request(
            "POST", self._route(f"/wp/v2/posts/{post_id}"), json={"status": status}
        )
        if response.status_code != 200:
            raise WordPressError(f"post {post_id}: {_explain(response)}")
        return Post.of(response.json())

    def public_status(self, url: str) -> int:
        """The HTTP status a reader gets at `url`, anonymously, following redirects."""
        try:
            response = requests.get(
                url,
                timeout=self.timeout,
                allow_redirects=True,
                headers={"User-Agent": settings.FETCH_USER_AGENT, "Cache-Control": "no-cache"},
            )
        except requests.RequestException as exc:
            raise WordPressError(f"cannot reach {url}: {type(exc).__name__}") from exc
        return response.status_code

"""Fetching feeds politely and without becoming an SSRF hole.

Pure functions: a URL and limits in, a FetchResult out; no models, no settings lookups
(the caller passes them). Errors never raise: they come back in `FetchResult.error`.

Every connection, first request or redirect, goes through a urllib3 connection class that
resolves the host itself and connects only to public addresses: the address checked is the
address connected to, so DNS rebinding between a check and the connect cannot bypass it.
"""

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


@dataclass
class FetchResult:
    """What one fetch produced. `error` is set when nothing usable came back (refused,
    network failure, timeout, too large, too many redirects); HTTP error statuses are not
    errors here: the caller decides what a 410 or a 429 means."""

    url: str
    final_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str = ""

    @property
    def charset(self) -> str:
        """The charset parameter of the Content-Type header, if any."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip("\"'")
        return ""


class AddressRefused(NewConnectionError):
    """The host resolved only to addresses we must not connect to."""


def address_refusal(address: str, *, allow_loopback: bool) -> str:
    """Why we must not connect to `address` ("" when it is a public address).

    Loopback may be allowed (local development and tests); private, link-local, site-local,
    CGNAT, multicast, reserved and unspecified addresses never are, nor IPv6 forms that embed one
    of them (IPv4-mapped, 6to4, Teredo)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_refusal(str(embedded), allow_loopback=allow_loopback)
    if ip.is_loopback:
        return "" if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.version == 6 and ip.is_site_local:  # fec0::/10: deprecated, but still routed
        return "a site-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:  # CGNAT (100.64.0.0/10) and the other special-purpose ranges
        return "not a public address"
    return ""


class _Deadline:
    """Ends a fetch when its time is up, whatever the server does. Socket timeouts bound
    each read, not their sum: a server sending a byte now and then would hold the fetch, and
    the ingest worker, for as long as it liked. At the deadline every connection the fetch
    opened is shut down, which ends the read waiting on it. (A TLS handshake in progress
    is still bounded only by the socket timeout.)"""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._watched: list = []  # (urllib3 connection, the socket it was given)
        self._finished = False
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, connection, sock: socket.socket) -> None:
        with self._lock:
            self._watched.append((connection, sock))

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for connection, sock in self._watched:
                # connection.sock is the TLS socket once there is one; a closed or detached
                # socket refuses the call, which is fine.
                for target in {id(s): s for s in (connection.sock, sock) if s is not None}.values():
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        """Called before the fetch's connections are closed: no shutdown after this."""
        with self._lock:
            self._finished = True
            self._timer.cancel()


class _GuardedConnectionMixin:
    """Resolve, refuse non-public addresses, connect to a permitted one by its address.

    Replaces urllib3's HTTPConnection._new_conn; TLS still verifies the certificate against
    the host name, because HTTPSConnection wraps this socket using self.host."""

    allow_loopback = False
    deadline: _Deadline | None = None

    def _new_conn(self) -> socket.socket:
        sock = self._connect_public()
        if self.deadline is not None:
            self.deadline.watch(self, sock)
        return sock

    def _connect_public(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        refused, last_error = [], None
        for _family, _type, _proto, _name, sockaddr in infos:
            address = sockaddr[0]
            reason = address_refusal(address, allow_loopback=self.allow_loopback)
            if reason:
                refused.append(f"{address} is {reason}")
                continue
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"connecting to {self.host} timed out ({self.timeout}s)"
                ) from exc
            except OSError as exc:
                last_error = exc
        if last_error is not None:
            raise NewConnectionError(self, f"could not connect to {self.host}: {last_error}")
        raise AddressRefused(self, f"refused to connect to {self.host}: {'; '.join(refused)}")


def _guarded_pool_classes(allow_loopback: bool, deadline: _Deadline) -> dict:
    """Pool classes for one fetch: its loopback permission and its deadline."""

    def connection(base):
        return type(
            f"Guarded{base.__name__}",
            (_GuardedConnectionMixin, base),
            {"allow_loopback": allow_loopback, "deadline": deadline},
        )

    def pool(base, connection_cls):
        return type(f"Guarded{base.__name__}", (base,), {"ConnectionCls": connection_cls})

    return {
        "http": pool(HTTPConnectionPool, connection(HTTPConnection)),
        "https": pool(HTTPSConnectionPool, connection(HTTPSConnection)),
    }


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, *, allow_loopback: bool, deadline: _Deadline):
        self._pool_classes = _guarded_pool_classes(allow_loopback, deadline)
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


def _session(*, allow_loopback: bool, user_agent: str, deadline: _Deadline) -> requests.Session:
    session = requests.Session()
    # No proxies, .netrc or CA overrides from the environment: every hop is ours to check.
    session.trust_env = False
    adapter = _GuardedAdapter(allow_loopback=allow_loopback, deadline=deadline)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": user_agent, "Accept": ACCEPT})
    return session


def _url_refusal(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme.lower() not in {"http", "https"}:
        return f"only http and https URLs are fetched, not {parts.scheme or 'a bare path'}"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username or parts.password:
        return "URLs with credentials are not fetched"
    return ""


def _describe(exc: requests.RequestException) -> str:
    """A short, readable reason for a failed request (urllib3 wraps its causes deeply)."""
    reason = exc
    while True:
        inner = getattr(reason, "reason", None) or (reason.args[0] if reason.args else None)
        if isinstance(inner, Exception) and inner is not reason:
            reason = inner
            continue
        break
    if isinstance(reason, AddressRefused | NewConnectionError | ConnectTimeoutError):
        # urllib3 prefixes "<connection object>: "; keep only our message.
        return str(reason).split(": ", 1)[-1]
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return f"{type(exc).__name__}: {reason}"


def fetch_url(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float,
    max_bytes: int,
    allow_loopback: bool = False,
    user_agent: str = "courtesy-feed-fetcher",
) -> FetchResult:
    """GET an http(s) URL: conditional on etag/last_modified, within `timeout` seconds in
    all (connect, redirects and body), at most `max_bytes` of (decoded) body, following at
    most MAX_REDIRECTS redirects, each to a URL checked like the first."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    watchdog = _Deadline(timeout)
    with _session(
        allow_loopback=allow_loopback, user_agent=user_agent, deadline=watchdog
    ) as session:
        try:
            result = _fetch_hops(session, url, headers, timeout, max_bytes)
        finally:
            watchdog.finish()
    if watchdog.expired:
        # Whatever the cut-off connection looked like (an error, or a body that simply
        # stopped), nothing read from it is used.
        result.body, result.error = b"", f"timed out after {timeout}s"
    return result


def send_url(
    url: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    headers: dict | None = None,
    timeout: float,
    allow_loopback: bool = False,
    user_agent: str = "courtesy",
    max_bytes: int = 64 * 1024,
) -> FetchResult:
    """Send one request (a webhook, an IndexNow submission) to a public address under the
    same rules as fetch_url. Redirects are not followed: a receiver that answers with one
    has not taken the message."""
    refusal = _url_refusal(url)
    if refusal:
        return FetchResult(url=url, final_url=url, error=f"{url}: {refusal}")
    result = FetchResult(url=url, final_url=url)
    watchdog = _Deadline(timeout)
    with _session(
        allow_loopback=allow_loopback, user_agent=user_agent, deadline=watchdog
    ) as session:
        try:
            response = session.request(
                method,
                url,
                data=body,
                headers=headers or {},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:
                result.status = response.status_code
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                result.body, result.error = _read_body(
                    response, max_bytes, time.monotonic() + timeout
                )
        except requests.RequestException as exc:
            result.error = _describe(exc)
        finally:
            watchdog.finish()
    if watchdog.expired:
        result.error = f"timed out after {timeout}s"
    return result


def _fetch_hops(
    session: requests.Session, url: str, headers: dict, timeout: float, max_bytes: int
) -> FetchResult:
    """The request and its redirects, each hop's URL checked before it is requested."""
    result = FetchResult(url=url, final_url=url)
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        refusal = _url_refusal(result.final_url)
        if refusal:
            result.error = f"{result.final_url}: {refusal}"
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.error = f"timed out after {timeout}s"
            return result
        try:
            response = session.get(
                result.final_url,
                headers=headers,
                timeout=remaining,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            result.error = _describe(exc)
            return result
        with response:
            result.status = response.status_code
            result.headers = {name.lower(): value for name, value in response.headers.items()}
            location = response.headers.get("Location")
            if response.status_code in REDIRECT_STATUSES and location:
                result.final_url = urljoin(result.final_url, location.strip())
                continue
            if 200 <= response.status_code < 300:
                result.body, result.error = _read_body(response, max_bytes, deadline)
            return result
    result.error = f"more than {MAX_REDIRECTS} redirects"
    return result


def _is_number(value: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²", which int() refuses."""
    return value.isascii() and value.isdigit()


def _read_body(response: requests.Response, max_bytes: int, deadline: float):
    declared = response.headers.get("Content-Length", "").strip()
    if _is_number(declared) and int(declared) > max_bytes:
        return b"", f"the response is larger than the limit of {max_bytes} bytes"
    body = bytearray()
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            body += chunk
            if len(body) > max_bytes:
                return b"", f"the response is larger than the limit of {max_bytes} bytes"
            if time.monotonic() > deadline:
                return b"", "timed out while reading the response"
    except requests.RequestException as exc:
        return b"", _describe(exc)
    return bytes(body), ""


def read_file(url: str, *, max_bytes: int) -> FetchResult:
    """Read a file:// feed from local disk (only the command line adds such feeds)."""
    result = FetchResult(url=url, final_url=url)
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in {"", "localhost"}:
        result.error = f"{url}: not a local file URL"
        return result
    path = Path(url2pathname(unquote(parts.path)))
    try:
        if path.stat().st_size > max_bytes:
            result.error = f"{path} is larger than the limit of {max_bytes} bytes"
            return result
        result.body = path.read_bytes()
    except OSError as exc:
        result.error = f"cannot read {path}: {exc.strerror or exc}"
        return result
    result.status = 200
    return result


def retry_after_seconds(value: str, *, now: datetime) -> int | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if _is_number(value):
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - now).total_seconds()))

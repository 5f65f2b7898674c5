"""Fetching feeds: polite HTTP against a real local server, and no SSRF.

Connections are observed through Python's audit hook for socket.connect, so "refused
without connecting" is checked against what the process actually did.
"""

import socket
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from compliance.items.fetch import (
    MAX_REDIRECTS,
    address_refusal,
    fetch_url,
    read_file,
    retry_after_seconds,
)

CONNECTS: list | None = None


def _audit(event, args):
    if event == "socket.connect" and CONNECTS is not None:
        address = args[1]
        CONNECTS.append(address[0] if isinstance(address, tuple) else address)


sys.addaudithook(_audit)


@pytest.fixture
def connects():
    """The addresses this process connects to during the test."""
    global CONNECTS
    CONNECTS = []
    yield CONNECTS
    CONNECTS = None


def get(url, **kwargs):
    return fetch_url(url, **{"timeout": 5, "max_bytes": 100_000, "allow_loopback": True, **kwargs})


FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def test_a_feed_is_fetched_with_its_validators(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED,
        content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 03 Nov 2026 08:00:00 GMT"},
    )
    result = get(httpserver.url_for("/feed.xml"), user_agent="courtesy-test/1")
    assert result.error == ""
    assert result.status == 200
    assert result.body == FEED
    assert result.headers["etag"] == '"v1"'
    assert result.charset == "utf-8"
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == "courtesy-test/1"
    assert "If-None-Match" not in request.headers


def test_conditional_get_sends_validators_and_understands_304(httpserver):
    httpserver.expect_request(
        "/feed.xml",
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 03 Nov 2026 08:00:00 GMT"},
    ).respond_with_data(b"", status=304)
    result = get(
        httpserver.url_for("/feed.xml"), etag='"v1"', last_modified="Tue, 03 Nov 2026 08:00:00 GMT"
    )
    assert (result.status, result.body, result.error) == (304, b"", "")


def test_redirects_are_followed_and_the_final_url_reported(httpserver):
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/middle"}
    )
    httpserver.expect_request("/middle").respond_with_data(
        "", status=307, headers={"Location": "/new.xml"}
    )
    httpserver.expect_request("/new.xml").respond_with_data(FEED)
    result = get(httpserver.url_for("/old"))
    assert result.error == ""
    assert result.body == FEED
    assert result.final_url == httpserver.url_for("/new.xml")


def test_a_redirect_loop_stops_after_the_limit(httpserver):
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    result = get(httpserver.url_for("/loop"))
    assert result.error == f"more than {MAX_REDIRECTS} redirects"
    assert len(httpserver.log) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.1.1]/",
        "http://100.64.0.7/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused_without_connecting(
    httpserver, connects, target
):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    started = time.monotonic()
    result = get(httpserver.url_for("/feed.xml"))
    assert "refused to connect" in result.error
    assert result.body == b""
    host = target.split("//")[1].split("/")[0].strip("[]")
    assert host in result.error
    # The local server was contacted; the private address never was.
    assert connects and all(address in {"127.0.0.1", "::1"} for address in connects)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "http://user:pw@127.0.0.1/"]
)
def test_a_redirect_to_another_scheme_or_with_credentials_is_not_followed(
    httpserver, connects, target
):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    result = get(httpserver.url_for("/feed.xml"))
    assert result.error.startswith(f"{target}: ")
    assert result.body == b""
    assert len(httpserver.log) == 1
    assert len(connects) == 1  # the feed's own server, once


def test_loopback_is_refused_unless_allowed(httpserver, connects):
    httpserver.expect_request("/feed.xml").respond_with_data(FEED)
    result = get(httpserver.url_for("/feed.xml"), allow_loopback=False)
    assert "refused to connect" in result.error
    assert "loopback" in result.error
    assert connects == []
    assert httpserver.log == []


def test_an_ip_literal_on_the_first_request_is_checked_too(connects):
    result = get("http://192.168.0.1:8080/feed.xml")
    assert "192.168.0.1 is a private address" in result.error
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/feed",
        "file:///etc/passwd",
        "gopher://x/",
        "http://user:secret@example.org/",
    ],
)
def test_only_plain_http_urls_are_fetched(url, connects):
    assert get(url).error
    assert connects == []


@pytest.mark.parametrize(
    ("address", "allowed_with_loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:a00:1::1", False),
        ("fec0::1", False),  # IPv6 site-local: deprecated, still routed inside some networks
    ],
)
def test_non_public_addresses(address, allowed_with_loopback):
    assert address_refusal(address, allow_loopback=False)
    assert (address_refusal(address, allow_loopback=True) == "") is allowed_with_loopback


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.4.4", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address, allow_loopback=False) == ""


def test_a_slow_server_times_out(httpserver):
    release = threading.Event()  # the server answers one request at a time: free it after

    def slow(request):
        release.wait(10)
        return Response(FEED)

    httpserver.expect_request("/slow.xml").respond_with_handler(slow)
    started = time.monotonic()
    result = get(httpserver.url_for("/slow.xml"), timeout=0.5)
    release.set()
    assert "timed out" in result.error
    assert result.body == b""
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",  # the body ends when it stops
        b"HTTP/1.1 200 OK\r\nX-Padding: ",  # the headers themselves never end
    ],
    ids=["body", "body-without-length", "headers"],
)
def test_a_server_sending_a_byte_now_and_then_is_cut_off_at_the_deadline(head):
    # Each byte comes well within the socket timeout; only a deadline on the whole fetch
    # stops it holding the ingest worker for as long as it likes.
    url = raw_server(head, body_bytes=40, delay=0.1)
    started = time.monotonic()
    result = get(url, timeout=1)
    assert time.monotonic() - started < 2
    assert "timed out" in result.error
    assert result.body == b""


def test_an_oversize_body_is_refused_by_its_declared_length(httpserver):
    httpserver.expect_request("/big.xml").respond_with_data(b"x" * 5000)
    result = get(httpserver.url_for("/big.xml"), max_bytes=1000)
    assert "larger than the limit of 1000 bytes" in result.error
    assert result.body == b""


def test_an_oversize_body_without_a_length_is_cut_off_while_reading(httpserver):
    def chunked(request):
        return Response((b"x" * 600 for _ in range(10)), direct_passthrough=True)

    httpserver.expect_request("/stream.xml").respond_with_handler(chunked)
    result = get(httpserver.url_for("/stream.xml"), max_bytes=1000)
    assert "larger than the limit" in result.error


def raw_server(head: bytes, body_bytes: int = 0, delay: float = 0.0) -> str:
    """A one-shot server speaking raw HTTP: sends `head`, then `body_bytes` bytes of body
    one at a time, `delay` seconds apart (what a well-behaved test server cannot do)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        connection, _ = listener.accept()
        with connection, listener:
            connection.settimeout(5)
            connection.recv(65536)
            try:
                connection.sendall(head)
                for _ in range(body_bytes):
                    time.sleep(delay)
                    connection.sendall(b"x")
            except OSError:
                pass  # the client hung up: that is what a deadline does

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"


def test_a_malformed_content_length_is_not_a_crash():
    # "²" passes str.isdigit() but not int(): the header must be read as absent.
    url = raw_server("HTTP/1.1 200 OK\r\nContent-Length: \u00b2\r\n\r\n".encode("latin-1"), 3)
    result = get(url)
    assert (result.status, result.error, result.body) == (200, "", b"xxx")


def test_http_errors_are_reported_as_statuses_not_errors(httpserver):
    httpserver.expect_request("/gone.xml").respond_with_data("bye", status=410)
    result = get(httpserver.url_for("/gone.xml"))
    assert (result.status, result.error, result.body) == (410, "", b"")


def test_local_files_are_read(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    assert read_file(path.as_uri(), max_bytes=1000).body == FEED
    assert "larger than the limit" in read_file(path.as_uri(), max_bytes=10).error
    assert "cannot read" in read_file((tmp_path / "nope.xml").as_uri(), max_bytes=10).error


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120
    assert retry_after_seconds("Tue, 03 Nov 2026 09:30:00 GMT", now=now) == 5400
    assert retry_after_seconds("Tue, 03 Nov 2026 07:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds("\u00b2", now=now) is None  # a digit to str.isdigit(), not to int()
    assert retry_after_seconds("", now=now) is None

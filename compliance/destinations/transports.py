"""How an event reaches each kind of destination: one transport per Destination.Kind,
registered by name (the WordPress kind of the next issue is one more entry). A transport
takes the destination and the delivery's payload and returns a short description of the
acknowledgement, or raises DeliveryError with what went wrong."""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from django.conf import settings

from compliance.items.fetch import send_url

from .models import Destination

# A Varnish request header holds at most 8 KB by default: about 500 keys a purge.
KEYS_PER_PURGE = 400
# The protocol's limit of URLs in one IndexNow submission.
INDEXNOW_BATCH = 10_000
SIGNATURE_HEADER = "Courtesy-Signature"


class DeliveryError(Exception):
    pass


TRANSPORTS: dict[str, Callable[[Destination, dict], str]] = {}


def transport(kind: str):
    def register(function):
        TRANSPORTS[kind] = function
        return function

    return register


def deliver(destination: Destination, payload: dict) -> str:
    try:
        send = TRANSPORTS[destination.kind]
    except KeyError:
        raise DeliveryError(f"no transport for destination kind {destination.kind!r}") from None
    return send(destination, payload)


def _edge(method: str, url: str, headers: dict) -> requests.Response:
    """A purge request to our own edge cache: an address the operator configured (usually
    on the loopback or a private network), so the public-address rule of fetch.py does not
    apply to it."""
    try:
        return requests.request(
            method, url, headers=headers, timeout=settings.DESTINATION_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"{method} {url}: {type(exc).__name__}: {exc}") from None


@transport(Destination.Kind.VARNISH_XKEY)
def varnish_xkey_purge(destination: Destination, payload: dict) -> str:
    """xkey.purge of every key, a few hundred per PURGE request (deploy/varnish/default.vcl
    answers "Purged <n>", n being the objects removed)."""
    keys = payload["keys"]
    purged = 0
    for start in range(0, len(keys), KEYS_PER_PURGE):
        chunk = " ".join(keys[start : start + KEYS_PER_PURGE])
        response = _edge("PURGE", destination.url.rstrip("/") + "/", {"xkey-purge": chunk})
        if response.status_code != 200:
            raise DeliveryError(
                f"PURGE answered {response.status_code} {response.reason}: {response.text[:200]}"
            )
        count = response.reason.removeprefix("Purged ").strip()
        purged += int(count) if count.isdigit() else 0
    return f"{len(keys)} keys purged ({purged} cached objects removed)"


@transport(Destination.Kind.HTTP_PURGE)
def http_purge(destination: Destination, payload: dict) -> str:
    """PURGE of each URL the event touches, for caches without surrogate keys. Deeper list
    pages than the first are not known by URL: they age out after EDGE_CACHE_SECONDS."""
    base = destination.url.rstrip("/")
    for path in payload["paths"]:
        response = _edge("PURGE", f"{base}{path}", {})
        # 404: the cache did not hold the page, which is as good as purged.
        if response.status_code not in (200, 204, 404):
            raise DeliveryError(f"PURGE {path} answered {response.status_code}")
    return f"{len(payload['paths'])} URLs purged"


def _send_json(destination: Destination, url: str, body: bytes, headers: dict) -> int:
    result = send_url(
        url,
        body=body,
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        timeout=settings.DESTINATION_TIMEOUT_SECONDS,
        allow_loopback=settings.FETCH_ALLOW_LOOPBACK,
        user_agent=f"{settings.SITE_NAME}-destinations",
    )
    if result.error and result.status is None:
        raise DeliveryError(result.error)
    if not 200 <= (result.status or 0) < 300:
        text = result.body[:200].decode("utf-8", "replace")
        raise DeliveryError(f"answered {result.status}: {text}".strip())
    return result.status


@transport(Destination.Kind.INDEXNOW)
def indexnow_submit(destination: Destination, payload: dict) -> str:
    """The protocol's JSON POST, at most INDEXNOW_BATCH URLs each. The key is the
    destination's secret, served at SITE_URL/<key>.txt (compliance.web.views)."""
    site = settings.SITE_URL.rstrip("/")
    urls = [f"{site}{path}" for path in payload["item_paths"]]
    statuses = []
    for start in range(0, len(urls), INDEXNOW_BATCH):
        body = {
            "host": urlsplit(site).hostname,
            "key": destination.secret,
            "keyLocation": f"{site}/{destination.secret}.txt",
            "urlList": urls[start : start + INDEXNOW_BATCH],
        }
        statuses.append(_send_json(destination, destination.url, json.dumps(body).encode(), {}))
    return f"{len(urls)} URLs submitted (answered {', '.join(map(str, statuses)) or '-'})"


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: the v1 of the signature header."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@transport(Destination.Kind.WEBHOOK)
def webhook_post(destination: Destination, payload: dict) -> str:
    """POST the event as JSON, signed: `Courtesy-Signature: t=<unix time>,v1=<hex>`."""
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    timestamp = int(time.time())
    signature = webhook_signature(destination.secret, timestamp, body)
    headers = {
        SIGNATURE_HEADER: f"t={timestamp},v1={signature}",
        "Courtesy-Event": payload.get("type", ""),
    }
    status = _send_json(destination, destination.url, body, headers)
    return f"answered {status}"

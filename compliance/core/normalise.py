"""Canonical forms of URLs, domains, author names and article text.

Deduplication at ingest, takedown targets and stay-down rules all compare these forms, so
an article is recognised whatever tricks its feed plays: http or https, `www.` or not, a
trailing slash, tracking parameters, a fragment, a new guid with the same text.
"""

import hashlib
import html
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import nh3

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "ncid",
        "mkt_tok",
        "s_cid",
        "spm",
        "vero_id",
        "wt_mc",
        "wt_zmc",
        "oly_anon_id",
        "oly_enc_id",
        "__s",
        "soc_src",
        "soc_trk",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_")
MIN_FINGERPRINT_CHARS = 80
_WHITESPACE = re.compile(r"\s+")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_TAG = re.compile(r"<[^>]*>")


def normalise_domain(host: str) -> str:
    """`WWW.Example.COM.` -> `example.com`; international names in their ASCII form."""
    host = (host or "").strip().rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def domain_candidates(host: str) -> list[str]:
    """The domain and every parent domain that could be an origin: a.b.example.com ->
    [a.b.example.com, b.example.com, example.com]."""
    labels = normalise_domain(host).split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [".".join(labels)]


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """One spelling per article: https, no `www.`, no default port, no credentials, no
    fragment, no trailing slash, no tracking parameters, the remaining parameters sorted.
    Returns "" for anything that is not an http(s) URL with a host."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return ""
    host = normalise_domain(parts.hostname)
    if port and port not in {80, 443}:
        host = f"{host}:{port}"
    path = quote(parts.path or "/", safe="/:@!$&'()*+,;=-._~%")
    path = _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), path)
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    )
    return f"https://{host}{path}" + (f"?{urlencode(query)}" if query else "")


def url_key(url: str) -> str:
    """A short, indexable key of the normalised URL ("" when the URL is not usable)."""
    normalised = normalise_url(url)
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""


def author_key(author: str) -> str:
    """Author names compared without regard to case, accents' encodings or white space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", author or "")).strip().casefold()


def plain_text(body_html: str) -> str:
    """The words of an HTML body: markup and entities removed, white space collapsed."""
    # Tags become spaces so that adjacent paragraphs do not run together.
    text = html.unescape(_TAG.sub(" ", nh3.clean(body_html or "")))
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def text_fingerprint(body_html: str) -> str:
    """SHA-256 of the article's normalised text, or "" when there is too little text for
    a match to mean the same article (an empty or one-line body)."""
    text = plain_text(body_html).casefold()
    if len(text) < MIN_FINGERPRINT_CHARS:
        return ""
    # Without any white space, block and inline markup or re-wrapped lines cannot matter.
    return hashlib.sha256(_WHITESPACE.sub("", text).encode()).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_web_address(url: str) -> bool:
    """An http(s) URL with a host, and no white space or control characters in it. (Not
    Django's URLValidator: it refuses hosts without a dot, such as a test server's.)"""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)

"""The URLs a mail names: bare or linked, in its text, its HTML and its subject; wrapped by a
mail filter (Outlook Safe Links, Proofpoint URL Defense, Google's redirector) and unwrapped;
or written without a scheme (`www.origin.example/news/x`, `origin.example/news/x`), which
is read only for the sites the caller knows, since any "word.word" would otherwise be one.
"""

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings

from compliance.core.normalise import is_web_address, normalise_domain, normalise_url

# A URL in running text; what follows is trimmed of the punctuation that ends a sentence.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
# A host name (and path) written without a scheme. Not preceded by what would make it part
# of a URL or an address already ("https://www.x", "a.x", "robin@x").
HOST_IN_TEXT = re.compile(
    r"(?<![\w@.:/%+=-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})\b"
    r"(/[^\s<>\"'`{}|\\^\[\]]*)?",
    re.IGNORECASE,
)
TRAILING_PUNCTUATION = ".,;:!?*_'\"\u201d\u2019\u00bb)"  # with closing quotes
# Wrapped inside one another at most this deep (a forwarded Safe Link of a Google link…).
MAX_UNWRAP = 4

KnownDomains = Callable[[set[str]], set[str]]


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"a", "area"}:
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_data(self, data):
        self.text.append(data)


def _trim(url: str) -> str:
    while url and url[-1] in TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (as in Wikipedia's)
        url = url[:-1]
    return url


def _urls_in_text(text: str) -> list[str]:
    return [_trim(match.group(0)) for match in URL_IN_TEXT.finditer(text)]


def _schemeless_in_text(text: str, known_domains: KnownDomains | None) -> list[str]:
    """`www.origin.example/x` and `origin.example/x` in running text, for known sites only."""
    if known_domains is None:
        return []
    found = [(m.group(1), _trim(m.group(0))) for m in HOST_IN_TEXT.finditer(text)]
    if not found:
        return []
    known = known_domains({normalise_domain(host) for host, _ in found})
    return [f"https://{url}" for host, url in found if normalise_domain(host) in known]


def _first(query: str, *names: str) -> str:
    values = parse_qs(query)
    return next((values[name][0] for name in names if values.get(name)), "")


def unwrap(url: str) -> str:
    """The URL a mail filter's or redirector's link stands for; the URL itself otherwise."""
    for _ in range(MAX_UNWRAP):
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        host, path = (parts.hostname or "").lower(), parts.path
        inner = ""
        if host.endswith(".safelinks.protection.outlook.com"):
            inner = _first(parts.query, "url")
        elif host in {"google.com", "www.google.com"} and path == "/url":
            inner = _first(parts.query, "q", "url")
        elif host == "urldefense.proofpoint.com" and path.startswith("/v2/url"):
            # v2 writes the URL's "%" as "-" and its "/" as "_".
            inner = unquote(_first(parts.query, "u").replace("-", "%").replace("_", "/"))
        elif host == "urldefense.com" and path.startswith("/v3/__"):
            # v3: https://urldefense.com/v3/__<url>__;<encoded characters>!<signature>$
            wrapped = url.split("/v3/__", 1)[1].rsplit("__;", 1)[0]
            inner = wrapped if "*" not in wrapped else ""  # "*" marks characters it recoded
        if not inner or not is_web_address(inner):
            return url
        url = inner
    return url


def urls_in(
    text: str,
    html: str,
    *,
    limit: int,
    max_length: int,
    known_domains: KnownDomains | None = None,
    extra_texts: Iterable[str] = (),
) -> list[str]:
    """The http(s) URLs a message names: bare in its text (and `extra_texts`, such as the
    subject), and as links or bare text in its HTML; unwrapped; each once (by normalised
    form), at most `limit`, none longer than `max_length`. Links to our own removal pages
    are left out: they are never content, and they carry secrets. With `known_domains`
    (given candidate domains, the ones that are ours or our origins'), scheme-less URLs of
    those sites are read too."""
    collector = _LinkCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # html.parser copes with nearly anything; never lose the text for it
        pass
    html_text = " ".join(collector.text)
    texts = [text, html_text, *extra_texts]
    candidates = [
        *_urls_in_text(text),
        *(link.strip() for link in collector.links),
        *(url for value in texts[1:] for url in _urls_in_text(value)),
        *(url for value in texts for url in _schemeless_in_text(value, known_domains)),
    ]
    own_pages = normalise_url(f"{settings.SITE_URL}/takedown/")
    urls, seen = [], set()
    for url in candidates:
        url = unwrap(url)
        if len(url) > max_length or not is_web_address(url):
            continue
        key = normalise_url(url)
        if not key or key in seen or key.startswith(own_pages):
            continue
        seen.add(key)
        urls.append(url)
        if len(urls) == limit:
            break
    return urls

"""The RSS 2.0 feed of published items, each carrying its attribution.

Every <item> links to its page here and names where it came from: `dc:source` (the original
article), `dc:creator` (its author), `dc:rights` (the licence note frozen at publication) and
RSS's own `<source>` (the origin). Its description is the body followed by the same
attribution block as the page, so the credit travels with the text into feed readers.

The XML is written directly, as the sitemap's is: Django's syndication framework asks a
dozen dynamic attributes per item and writes the document a few bytes at a time, which
cost more than everything else the feed does.
"""

import re
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.feedgenerator import rfc2822_date
from django.utils.html import format_html, urlize
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from compliance.destinations.keys import LISTS, page_keys
from compliance.items.selectors import items_for_feed

from .views import edge_cacheable, http_url

DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/rss+xml; charset=utf-8"
# Characters XML 1.0 does not allow in a document, however escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@lru_cache(maxsize=1024)
def linked_text(text: str) -> str:
    """`text` escaped, its addresses made links, as the |urlize filter does. Memoised: the
    licence note and disclaimer are frozen at publication, and Django's urlize takes a
    fifth of a millisecond for one; the feed shows the same fifty on every request."""
    return urlize(text, nofollow=True, autoescape=True)


def item_description(item) -> SafeString:
    """The item's description: image and credit, the body (sanitised at ingest), then the
    attribution its page shows."""
    parts = []
    image_url = http_url(item.image_url)
    if image_url:
        credit = format_html("<figcaption>{}</figcaption>", item.photo_credit)
        parts.append(
            format_html('<figure><img src="{}" alt="">{}</figure>', image_url, credit)
            if item.photo_credit
            else format_html('<figure><img src="{}" alt=""></figure>', image_url)
        )
    parts.append(mark_safe(item.body))  # sanitised (nh3) when ingested
    original_url = http_url(item.original_url)
    read = (
        format_html('<a href="{}">Read the original article at {}</a>. ', original_url,
                    item.origin.name)
        if original_url
        else ""
    )  # fmt: skip
    author = format_html("Author: {}. ", item.author) if item.author else ""
    parts.append(format_html("<p>{}{}{}</p>", read, author, item.licence_note))
    parts.append(format_html("<p>{}</p>", mark_safe(linked_text(item.disclaimer))))
    return mark_safe("\n".join(parts))


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _element(name: str, value: str, attributes: str = "") -> str:
    return f"<{name}{attributes}>{_text(value)}</{name}>"


def _item(item) -> str:
    # RSS's <source url> names the channel the item came from: the origin's feed when it
    # is on the web, else (a feed read from a file) the origin's home page.
    feed_url = http_url(item.feed.url) if item.feed else ""
    source_url = feed_url or item.origin.home_page
    parts = [
        _element("title", item.title),
        _element("link", item.public_url),
        _element("description", item_description(item)),
        _element("pubDate", rfc2822_date(item.republished_at)),
        _element("guid", item.public_url),
        _element("dc:source", item.original_url),
        # Every item names its creator: the origin when the feed named no author.
        _element("dc:creator", item.author or item.origin.name),
    ]
    if item.licence_note:
        parts.append(_element("dc:rights", item.licence_note))
    parts.append(
        _element("source", item.origin.name, f" url={quoteattr(_NOT_XML.sub('', source_url))}")
    )
    return f"<item>{''.join(parts)}</item>"


@require_safe
def published_items_feed(request: HttpRequest) -> HttpResponse:
    items = list(items_for_feed())
    # Absolute links from SITE_URL (not the request's host), as in every other link we send.
    site = settings.SITE_URL
    latest = max((item.republished_at for item in items), default=None) or timezone.now()
    channel = "".join(
        [
            _element("title", settings.SITE_NAME),
            _element("link", f"{site}/"),
            _element(
                "description",
                f"Articles republished by {settings.SITE_NAME}, with credit to their origins.",
            ),
            f'<atom:link href={quoteattr(f"{site}/feed/")} rel="self"/>',
            _element("language", get_language() or settings.LANGUAGE_CODE),
            _element("lastBuildDate", rfc2822_date(latest)),
            *map(_item, items),
        ]
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="2.0" xmlns:atom="{ATOM_NAMESPACE}" xmlns:dc="{DC_NAMESPACE}">'
        f"<channel>{channel}</channel></rss>"
    )
    response = HttpResponse(document, content_type=CONTENT_TYPE)
    response.headers["Last-Modified"] = http_date(latest.timestamp())
    return edge_cacheable(request, response, [LISTS, *page_keys(items)])

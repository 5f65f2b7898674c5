"""The RSS 2.0 feed of published items, each carrying its attribution.

Every <item> links to its page here and names where it came from: `dc:source` (the original
article), `dc:creator` (its author), `dc:rights` (the licence note frozen at publication) and
RSS's own `<source>` (the origin). Its description is the body followed by the same
attribution block as the page, so the credit travels with the text into feed readers.
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import format_html, urlize
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe

from compliance.items.selectors import items_for_feed

from .views import http_url

DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"


@lru_cache(maxsize=1024)
def linked_text(text: str) -> str:
    """`text` escaped, its addresses made links, as the |urlize filter does. Memoised: the
    licence note and disclaimer are frozen at publication, and Django's urlize takes a
    fifth of a millisecond for one; the feed shows the same fifty on every request."""
    return urlize(text, nofollow=True, autoescape=True)


class AttributedRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the Dublin Core elements that say whose an item is."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DC_NAMESPACE}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("dc:source", item["original_url"])
        if item["creator"]:
            handler.addQuickElement("dc:creator", item["creator"])
        if item["rights"]:
            handler.addQuickElement("dc:rights", item["rights"])
        handler.addQuickElement("source", item["source_name"], {"url": item["source_url"]})


def item_description(item) -> SafeString:
    """The item's description: image and credit, the body (sanitised at ingest), then the
    attribution its page shows. Built directly rather than by a template per item: the
    template engine cost more than the rest of the feed together."""
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


class PublishedItemsFeed(Feed):
    feed_type = AttributedRssFeed

    def __call__(self, request, *args, **kwargs):
        # Django's writes the XML into the response a few bytes at a time (a hundred
        # thousand write() calls for fifty items); one string is several times faster.
        feed = self.get_feed(None, request)
        response = HttpResponse(feed.writeString("utf-8"), content_type=feed.content_type)
        response.headers["Last-Modified"] = http_date(feed.latest_post_date().timestamp())
        return response

    def title(self):
        return settings.SITE_NAME

    def description(self):
        return f"Articles republished by {settings.SITE_NAME}, with credit to their origins."

    # Absolute links from SITE_URL (not the request's host), as in every other link we send.
    def link(self):
        return f"{settings.SITE_URL}/"

    def feed_url(self):
        return f"{settings.SITE_URL}/feed/"

    def items(self):
        return items_for_feed()

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.public_url

    def item_pubdate(self, item):
        return item.republished_at

    def item_description(self, item):
        return item_description(item)

    def item_extra_kwargs(self, item):
        # RSS's <source url> names the channel the item came from: the origin's feed when it
        # is on the web, else (a feed read from a file) the origin's home page.
        feed_url = http_url(item.feed.url) if item.feed else ""
        return {
            "original_url": item.original_url,
            # Every item names its creator: the origin when the feed named no author.
            "creator": item.author or item.origin.name,
            "rights": item.licence_note,
            "source_name": item.origin.name,
            "source_url": feed_url or item.origin.home_page,
        }

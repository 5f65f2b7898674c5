"""The RSS 2.0 feed of published items, each carrying its attribution.

Every <item> links to its page here and names where it came from: `dc:source` (the original
article), `dc:creator` (its author), `dc:rights` (the licence note frozen at publication) and
RSS's own `<source>` (the origin). Its description is the body followed by the same
attribution block as the page, so the credit travels with the text into feed readers.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Rss201rev2Feed

from compliance.destinations.keys import LISTS, page_keys
from compliance.items.selectors import items_for_feed

from .views import edge_cacheable, http_url

DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"


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


class PublishedItemsFeed(Feed):
    feed_type = AttributedRssFeed
    description_template = "web/feed_description.html"

    def title(self):
        return settings.SITE_NAME

    def description(self):
        return f"Articles republished by {settings.SITE_NAME}, with credit to their origins."

    # Absolute links from SITE_URL (not the request's host), as in every other link we send.
    def link(self):
        return f"{settings.SITE_URL}/"

    def feed_url(self):
        return f"{settings.SITE_URL}/feed/"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        return edge_cacheable(request, response, [LISTS, *page_keys(request.feed_items)])

    def get_object(self, request, *args, **kwargs):
        # Kept on the request (this object serves every request): the response's keys
        # name the items shown.
        request.feed_items = list(items_for_feed())
        return request.feed_items

    def items(self, obj):
        return obj

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.public_url

    def item_pubdate(self, item):
        return item.republished_at

    def get_context_data(self, **kwargs):
        item = kwargs["item"]
        return {
            "item": item,
            "original_url": http_url(item.original_url),
            "image_url": http_url(item.image_url),
        }

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

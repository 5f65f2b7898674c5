from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

from compliance.items.selectors import items_for_sitemap


class ItemSitemap(Sitemap):
    """Our published items' pages, at the public address SITE_URL names (not whatever host
    the request came in on). One file holds the protocol's maximum of 50,000 URLs; beyond
    that, /sitemap.xml?p=2 and on, and a sitemap index will be needed."""

    def items(self):
        return items_for_sitemap()

    def location(self, item):
        return item.get_absolute_url()

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

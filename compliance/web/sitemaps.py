from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap

from compliance.destinations.keys import SITEMAP, sitemap_key
from compliance.items.selectors import items_for_sitemap

# Page arithmetic shared with the takedown job (which lives below this app).
from compliance.items.sitemap_pages import SITEMAP_PAGE_SIZE, sitemap_page_of  # noqa: F401

from .views import edge_cacheable


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


def sitemap_page(request, **kwargs):
    """A sitemap page, tagged for the edge cache with its page number."""
    response = sitemap(request, **kwargs)
    page = request.GET.get("p", "1")
    keys = [SITEMAP, sitemap_key(int(page))] if page.isdigit() else [SITEMAP]
    response.render()
    return edge_cacheable(request, response, keys)

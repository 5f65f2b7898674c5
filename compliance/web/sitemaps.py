"""/sitemap.xml, a sitemap index, and the pages it lists, /sitemap-items-<N>.xml.

Page N holds the published items whose primary key falls in its range (see
compliance.items.sitemap_pages): an item stays on the same page for ever, so a takedown's check
reads only the pages its items are on, and a page is a range scan of the primary key.
Locations are at the public address SITE_URL names (not whatever host the request came in
on). A page of 50,000 URLs is written straight from the query's rows, with no template loop.
"""

from xml.sax.saxutils import escape

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from compliance.destinations.keys import SITEMAP, sitemap_key
from compliance.items.selectors import items_for_sitemap_page, sitemap_page_count
from compliance.items.sitemap_pages import SITEMAP_PAGE_SIZE, sitemap_page_of, sitemap_page_path

from .views import edge_cacheable

__all__ = ["SITEMAP_PAGE_SIZE", "sitemap_index", "sitemap_page", "sitemap_page_of"]

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
CONTENT_TYPE = "application/xml; charset=utf-8"


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    base = escape(settings.SITE_URL)
    parts = [XML_DECLARATION, f'<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for page in range(1, sitemap_page_count() + 1):
        parts.append(f"<sitemap><loc>{base}{sitemap_page_path(page)}</loc></sitemap>\n")
    parts.append("</sitemapindex>\n")
    response = HttpResponse("".join(parts), content_type=CONTENT_TYPE)
    return edge_cacheable(request, response, [SITEMAP])


@require_safe
def sitemap_page(request: HttpRequest, page: int) -> HttpResponse:
    # Pages past the last one are 404, not empty: a crawler should forget them.
    if page < 1 or page > sitemap_page_count():
        raise Http404("No such sitemap page.")
    base = escape(settings.SITE_URL)
    parts = [XML_DECLARATION, f'<urlset xmlns="{SITEMAP_NS}">\n']
    # Slugs are URL-safe as ingest makes them, but escaped anyway: one odd row must not
    # make the whole file unreadable.
    parts.extend(
        f"<url><loc>{base}/items/{escape(slug)}/</loc></url>\n"
        for slug in items_for_sitemap_page(page).iterator(chunk_size=5000)
    )
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type=CONTENT_TYPE)
    return edge_cacheable(request, response, [SITEMAP, sitemap_key(page)])

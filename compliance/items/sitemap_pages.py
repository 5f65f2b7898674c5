"""Which sitemap page lists an item: pages hold items by primary-key range, so the page of
an item never moves when others come or go, and a takedown knows, without reading any
sitemap, the one page to purge from the edge and to check (compliance.web.sitemaps serves
them; the takedown job, lower down, needs the same arithmetic, hence here)."""

# The protocol's limit of URLs per sitemap file.
SITEMAP_PAGE_SIZE = 50_000


def sitemap_page_of(pk: int) -> int:
    """Page N holds pks (N-1)*SITEMAP_PAGE_SIZE+1 .. N*SITEMAP_PAGE_SIZE."""
    return (pk - 1) // SITEMAP_PAGE_SIZE + 1


def sitemap_page_path(page: int) -> str:
    """Where page `page` is served (/sitemap.xml is the index of the pages)."""
    return f"/sitemap-items-{page}.xml"

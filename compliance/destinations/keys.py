"""Surrogate keys: the names an edge cache files our public pages under, so that a takedown
purges exactly the pages an item appears on (Varnish's xkey, a CDN's Surrogate-Key).

    item page              item-<pk> origin-<pk>
    home page, /feed/      lists, and item-<pk> origin-<pk> for every item shown
    sitemap page N         sitemap sitemap-<N>

A takedown purges item-<pk> for each item (its page and every list showing it) and the
sitemap page it is on. A restoration also purges `lists`: a restored item was on no cached
list page, so no item key reaches the pages it returns to, and which pages those are
depends on everything published since; lists are cheap to fill again and restorations
rare, so every list page goes.
"""

from compliance.items.sitemap_pages import sitemap_page_of

LISTS = "lists"
SITEMAP = "sitemap"


def item_key(pk: int) -> str:
    return f"item-{pk}"


def origin_key(pk: int) -> str:
    return f"origin-{pk}"


def sitemap_key(page: int) -> str:
    return f"sitemap-{page}"


def page_keys(items) -> list[str]:
    """The keys of a page showing `items` (objects with pk and origin_id)."""
    keys = {item_key(item.pk): None for item in items}
    keys.update({origin_key(item.origin_id): None for item in items})
    return list(keys)


def event_keys(item_ids: list[int], *, restoration: bool) -> list[str]:
    """What a takedown (or a restoration) of these items purges."""
    keys = [item_key(pk) for pk in item_ids]
    pages = sorted({sitemap_page_of(pk) for pk in item_ids})
    keys += [sitemap_key(page) for page in pages] + [SITEMAP]
    if restoration:
        keys.append(LISTS)
    return keys

"""Public pages: published items, newest first, and each item with its attribution block.

A hidden or withheld item answers 451 (RFC 7725) and shows nothing of its content.
"""

import json
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from compliance.destinations.keys import LISTS, page_keys
from compliance.destinations.selectors import indexnow_key_exists
from compliance.items.models import Item
from compliance.items.selectors import item_for_page, items_published
from compliance.takedowns.selectors import item_unavailability

PAGE_SIZE = 20
# Deeper pages cost their offset in index entries; the sitemap reaches every item anyway.
MAX_PAGE = 10_000
TAKEDOWN_PATH = "/takedown/"
TRANSPARENCY_PATH = "/transparency/"
# What json_script escapes: with these, no text inside a <script> can close it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def edge_cacheable(request: HttpRequest, response: HttpResponse, keys) -> HttpResponse:
    """A published page, cacheable: by an edge cache for EDGE_CACHE_SECONDS (s-maxage, with
    a short stale-while-revalidate), since every takedown purges the pages it touches by
    their surrogate keys (compliance.destinations.keys), and by browsers only briefly
    (max-age), since nothing can purge those. The keys go out as `xkey` (Varnish) and
    `Surrogate-Key` (CDNs). The ETag keeps revalidation cheap (304)."""
    patch_cache_control(
        response,
        public=True,
        max_age=settings.BROWSER_CACHE_SECONDS,
        s_maxage=settings.EDGE_CACHE_SECONDS,
        stale_while_revalidate=30,
    )
    response["xkey"] = response["Surrogate-Key"] = " ".join(keys)
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def http_url(url: str) -> str:
    """The URL if a browser may follow it from our page (http or https), else ""."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in {"http", "https"} else ""


@require_safe
def item_list(request: HttpRequest) -> HttpResponse:
    """One query: the page and one item more (is there an older page?), read off the index
    in its order. No COUNT: the page says where it is, not how many pages there are."""
    number = request.GET.get("page") or "1"
    if not (number.isascii() and number.isdigit() and 0 < int(number) <= MAX_PAGE):
        raise Http404("No such page.")
    number = int(number)
    start = (number - 1) * PAGE_SIZE
    items = list(items_published()[start : start + PAGE_SIZE + 1])
    if number > 1 and not items:
        raise Http404("No such page.")
    context = {
        "items": items[:PAGE_SIZE],
        "number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if len(items) > PAGE_SIZE else None,
    }
    response = render(request, "web/item_list.html", context)
    return edge_cacheable(request, response, [LISTS, *page_keys(context["items"])])


@require_safe
def item_detail(request: HttpRequest, slug: str) -> HttpResponse:
    item = item_for_page(slug=slug)
    if item is None:
        raise Http404("No such item.")
    if not item.is_visible:
        return _unavailable(request, item)
    original_url = http_url(item.original_url)
    context = {
        "item": item,
        "origin": item.origin,
        "original_url": original_url,
        "image_url": http_url(item.image_url),
        "canonical_url": original_url if item.origin.canonical_to_original else "",
        "noindex": item.origin.noindex,
        "removal_url": f"{TAKEDOWN_PATH}?{urlencode({'url': item.original_url})}",
        "json_ld": _json_ld(item),
    }
    response = render(request, "web/item_detail.html", context)
    return edge_cacheable(request, response, page_keys([item]))


@require_safe
def item_reference(request: HttpRequest, pk: int) -> HttpResponse:
    """An item by its number, as the public records of a request about a person name it:
    staff go to the item in the admin; others to its page while it is published, and get
    its 451 once it is not (the address itself says nothing of the article)."""
    item = Item.objects.filter(pk=pk).select_related("origin").first()
    if item is None:
        raise Http404("No such item.")
    if request.user.is_active and request.user.is_staff:
        return redirect("admin:items_item_change", item.pk)
    if not item.is_visible:
        return _unavailable(request, item)
    return redirect(item.get_absolute_url())


def _unavailable(request: HttpRequest, item: Item) -> HttpResponse:
    # The template gets the explanation only, never the item: nothing of the content
    # (title, body, author, image, original URL) can reach the page by mistake.
    why = item_unavailability(item)
    context = {"why": why, "transparency_url": TRANSPARENCY_PATH}
    if why.cause == "request" and why.status == Item.Status.HIDDEN:
        # The slug is in this page's own address already: the link reveals nothing new.
        context["counter_notice_url"] = (
            f"{TAKEDOWN_PATH}counter-notice/?{urlencode({'item': item.slug})}"
        )
    response = render(request, "web/item_unavailable.html", context, status=451)
    response["Link"] = f'<{settings.SITE_URL}{TRANSPARENCY_PATH}>; rel="blocked-by"'
    # Stored nowhere: if the content is restored, it must reappear at once.
    response["Cache-Control"] = "no-store"
    return response


def _json_ld(item: Item) -> SafeString:
    """schema.org NewsArticle describing our copy and what it is based on, safe to place
    inside <script type="application/ld+json">."""
    origin = item.origin
    basis = item.licence_basis
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": item.title,
        "url": item.public_url,
        # The article's own date, as the page shows it; our copy only republishes it.
        "datePublished": item.published_at or item.republished_at,
        "isBasedOn": item.original_url,
        "copyrightHolder": {"@type": "Organization", "name": origin.name, "url": origin.home_page},
        "license": (basis.licence_url if basis and basis.licence_url else item.licence_note),
    }
    if item.author:
        data["author"] = {"@type": "Person", "name": item.author}
    if item.photo_credit:
        data["creditText"] = item.photo_credit
    if http_url(item.image_url):
        image = {"@type": "ImageObject", "url": item.image_url}
        if item.photo_credit:
            image["creditText"] = item.photo_credit
        data["image"] = image
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # Safe: with <, > and & escaped, no title or name can close the <script> element.
    return mark_safe(text.translate(_SCRIPT_ESCAPES))


@require_safe
def indexnow_key(request: HttpRequest, key: str) -> HttpResponse:
    """/<key>.txt: the key itself, for each IndexNow destination (the protocol's proof
    that the submissions come from this host)."""
    if not indexnow_key_exists(key):
        raise Http404("No such file.")
    return HttpResponse(key, content_type="text/plain; charset=utf-8")

"""Public pages: published items, newest first, and each item with its attribution block.

A hidden or withheld item answers 451 (RFC 7725) and shows nothing of its content.
"""

import json
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from compliance.items.models import Item
from compliance.items.selectors import item_for_page, items_published
from compliance.takedowns.selectors import item_unavailability

PAGE_SIZE = 20
TAKEDOWN_PATH = "/takedown/"
TRANSPARENCY_PATH = "/transparency/"
# What json_script escapes: with these, no text inside a <script> can close it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _revalidated(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Published pages may be kept by browsers and proxies, but only if they ask us again
    before every reuse (max-age=0, must-revalidate): a takedown must take effect at once,
    not when some cache's copy expires. The ETag, a hash of the page as rendered, keeps that
    check cheap (304) while nothing changed. There is no Last-Modified: an item has no
    single time that covers every change to its page (origin policy, status, content)."""
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
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
    paginator = Paginator(items_published(), PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None
    response = render(request, "web/item_list.html", {"page_obj": page})
    return _revalidated(request, response)


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
    return _revalidated(request, render(request, "web/item_detail.html", context))


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

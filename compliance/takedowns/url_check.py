"""GET /takedown/check-urls/?urls=…: as the requester types, which addresses are ours and
which article each is. Says no more than the public pages do: the title of a published
item only; a hidden or withheld one is "not shown here", never named."""

import time

from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from . import intake
from .targets import origin_for, resolve_urls

MAX_CHECKS_PER_MINUTE = 30  # per client address: about one every two seconds of typing


def _allowed(client_key: str) -> bool:
    """A fixed one-minute window in the cache (per process with the default local-memory
    cache: the limit only keeps a script from enumerating the catalogue quickly)."""
    if not client_key:
        return True
    key = f"url-check:{client_key}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=70)
    try:
        return cache.incr(key) <= MAX_CHECKS_PER_MINUTE
    except ValueError:
        return True


def _describe(resolved) -> dict:
    item = resolved.item
    if item is not None and item.is_visible:
        message = gettext("ours: “%(title)s”, from %(origin)s") % {
            "title": item.title,
            "origin": item.origin.name,
        }
        return {"url": resolved.url, "known": True, "message": message}
    if item is not None:
        message = gettext("ours, but no longer shown here")
        return {"url": resolved.url, "known": True, "message": message}
    origin = origin_for([resolved])
    if origin is not None:
        message = gettext("from %(origin)s, but no article of ours has this address") % {
            "origin": origin.name
        }
    else:
        message = gettext("not an address we know: our staff will look at it")
    return {"url": resolved.url, "known": False, "message": message}


@require_GET
def check_urls(request):
    if not _allowed(intake.client_key_for(request)):
        return JsonResponse({"detail": "Too many checks; try again in a minute."}, status=429)
    lines = request.GET.get("urls", "").splitlines()[: intake.MAX_URLS]
    urls = [u.strip()[: intake.MAX_URL_LENGTH] for u in lines if u.strip()]
    response = JsonResponse({"results": [_describe(r) for r in resolve_urls(urls)]})
    response["Cache-Control"] = "no-store"
    return response

"""Which items a removal request names: each URL as given resolves to an item by the
article's normalised original URL, by our own page of it (/items/<slug>/, any scheme or
host spelling), or by a bare slug. A URL that resolves to nothing is kept for staff."""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from compliance.core.normalise import domain_candidates, normalise_domain, normalise_url, url_key
from compliance.items.models import Item, Origin

ITEM_PATH = "/items/"


@dataclass(frozen=True)
class ResolvedURL:
    url: str
    url_key: str
    item: Item | None


def _own_prefixes() -> list[str]:
    """Normalised forms of our own item pages' URL prefix, for each host we answer to."""
    hosts = {urlsplit(settings.SITE_URL).netloc}
    hosts.update(h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*")
    prefixes = []
    for host in hosts:
        base = normalise_url(f"https://{host}")
        if base:
            prefixes.append(f"{base}{ITEM_PATH}")
    return prefixes


def _own_slug(url: str, prefixes: list[str]) -> str:
    """The slug if `url` is one of our item pages (absolute, a path, or a bare slug)."""
    url = url.strip()
    if url.startswith(ITEM_PATH):
        return unquote(url[len(ITEM_PATH) :].split("?")[0].split("#")[0].strip("/"))
    normalised = normalise_url(url)
    if not normalised:
        # Neither http(s) nor a path: perhaps a slug on its own.
        return url if url and "/" not in url and ":" not in url else ""
    for prefix in prefixes:
        if normalised.startswith(prefix):
            slug = normalised[len(prefix) :].split("?")[0]
            return unquote(slug) if "/" not in slug else ""
    return ""


def resolve_urls(urls) -> list[ResolvedURL]:
    """Resolve every URL in two queries, whatever their number; order and duplicates of the
    input are kept as given (minus exact repeats)."""
    urls = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
    prefixes = _own_prefixes()
    keys = {u: url_key(u) for u in urls}
    slugs = {u: _own_slug(u, prefixes) for u in urls}
    by_key = {}
    for item in Item.objects.filter(url_key__in={k for k in keys.values() if k}).order_by("id"):
        by_key.setdefault(item.url_key, item)
    by_slug = {
        item.slug: item for item in Item.objects.filter(slug__in={s for s in slugs.values() if s})
    }
    return [ResolvedURL(u, keys[u], by_key.get(keys[u]) or by_slug.get(slugs[u])) for u in urls]


def origin_for(resolved: list[ResolvedURL]) -> Origin | None:
    """The origin the request concerns: that of most resolved items; failing any, an origin
    whose domain the URLs name (an origin's home page with scope "origin", say)."""
    counts = Counter(r.item.origin_id for r in resolved if r.item)
    if counts:
        return Origin.objects.get(pk=counts.most_common(1)[0][0])
    for r in resolved:
        normalised = normalise_url(r.url)
        if not normalised:
            continue
        candidates = domain_candidates(urlsplit(normalised).hostname or "")
        found = {o.domain: o for o in Origin.objects.filter(domain__in=candidates)}
        # The most specific domain wins: news.example.com before example.com.
        for domain in candidates:
            if domain in found:
                return found[domain]
    return None


def known_domains(candidates: set[str]) -> set[str]:
    """Those of the (normalised) domains that are ours or an origin's, or a subdomain of
    one: the sites whose scheme-less URLs (`www.origin.example/x`) a mail may name."""
    ours = {normalise_domain(urlsplit(settings.SITE_URL).hostname or "")}
    parents = {c: domain_candidates(c) for c in candidates}
    every = {parent for found in parents.values() for parent in found}
    known = ours | set(Origin.objects.filter(domain__in=every).values_list("domain", flat=True))
    return {c for c, found in parents.items() if known.intersection(found)}


def names_our_content(urls) -> bool:
    """Whether any of the URLs is one of our items or at one of our origins."""
    resolved = resolve_urls(urls)
    return any(r.item for r in resolved) or origin_for(resolved) is not None

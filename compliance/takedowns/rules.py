"""Stay-down: does an active block rule cover a new item?

Each kind of rule is found by an indexed equality lookup (url_key, text_fingerprint,
(domain, author_key), domain), so a check costs the same with ten rules as with a hundred
thousand; bench/staydown.py measures it. At most four small queries, most specific first.
"""

from compliance.core.normalise import domain_candidates, normalise_domain

from .models import BlockRule


def block_rule_matching(
    *, domain: str, url_key: str, author_key: str, text_fingerprint: str
) -> BlockRule | None:
    """The active rule that keeps this item down, or None.

    domain: the item's origin domain (normalised here); an origin rule also covers its
    subdomains, so the domain and each parent domain are looked up. url_key and
    text_fingerprint: from compliance.core.normalise; a URL rule matches either (the text
    only at the rule's origin), so an article that its origin publishes again under a new
    guid and URL with the same text is still caught.
    author_key: an author rule matches this author at exactly this domain. Empty keys
    match nothing.
    """
    active = BlockRule.objects.filter(is_active=True)
    lookups = []
    domain = normalise_domain(domain)
    if url_key:
        lookups.append(active.filter(kind=BlockRule.Kind.URL, url_key=url_key))
    if text_fingerprint and domain:
        # The same text at the same origin (or a subdomain of it): the origin publishing the
        # article again. Another site carrying the same text (a wire story it licensed
        # itself) is its own matter, not covered by this request.
        lookups.append(
            active.filter(
                kind=BlockRule.Kind.URL,
                text_fingerprint=text_fingerprint,
                domain__in=domain_candidates(domain),
            )
        )
    if domain and author_key:
        lookups.append(
            active.filter(kind=BlockRule.Kind.AUTHOR, domain=domain, author_key=author_key)
        )
    if domain:
        lookups.append(
            active.filter(kind=BlockRule.Kind.ORIGIN, domain__in=domain_candidates(domain))
        )
    for lookup in lookups:
        rule = lookup.order_by("created_at", "pk").first()
        if rule is not None:
            return rule
    return None

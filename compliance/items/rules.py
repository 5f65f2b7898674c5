"""Making and stopping block rules, the only writer of BlockRule. What a rule covers is
compliance.items.staydown's to say.

Rules come from the takedown job (a request "now and in the future": its case) and from
officers (an origin block). Each change is audited in the same transaction.
"""

from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import author_key as make_author_key
from compliance.core.normalise import normalise_domain, normalise_url
from compliance.core.normalise import url_key as make_url_key

from .models import BlockRule, Origin
from .staydown import origin_block, stored_guid


def _check_kind(kind: str) -> None:
    if kind not in BlockRule.Kind.values:
        raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(BlockRule.Kind.values)})")


def block_rule_create(
    *,
    kind: str,
    actor: Actor,
    reason: str = "",
    origin: Origin | None = None,
    url: str = "",
    guid: str = "",
    text_fingerprint: str = "",
    author: str = "",
    case: str = "",
) -> BlockRule:
    """Keep something from being published by any later ingest, and audit it (rule.created).

    kind "url": the article at `url` (normalised; its domain need not be an origin of ours
    yet), and, when given, the same `guid` or the same text (`text_fingerprint`) at its
    site. kind "author": everything by `author` at `origin`. kind "origin": all of `origin`,
    its subdomains included. An identical rule (same case, or for staff rules the same
    active rule) is returned instead of a second one: a case's rules are unique in the
    database, so a job that runs twice or concurrently makes each once.
    """
    actor.check_may_decide("make block rules")
    _check_kind(kind)
    fields = {"kind": kind, "url_key": "", "text_fingerprint": "", "author_key": ""}
    defaults = {"origin": origin, "url": "", "author": "", "guid": ""}
    if kind == BlockRule.Kind.URL:
        normalised = normalise_url(url)
        if not normalised:
            raise ValueError(f"a URL rule needs an http(s) URL, not {url!r}")
        fields |= {
            "domain": origin.domain if origin else urlsplit(normalised).hostname,
            "url_key": make_url_key(url),
            "text_fingerprint": text_fingerprint or "",
        }
        defaults["url"] = normalised[: BlockRule._meta.get_field("url").max_length]
        defaults["guid"] = stored_guid(guid) if guid else ""
    else:
        if origin is None:
            raise ValueError(f"an {kind} rule needs an origin")
        fields["domain"] = normalise_domain(origin.domain)
        if kind == BlockRule.Kind.AUTHOR:
            fields["author_key"] = make_author_key(author)
            if not fields["author_key"]:
                raise ValueError("an author rule needs the author's name")
            defaults["author"] = author.strip()[: BlockRule._meta.get_field("author").max_length]
    with transaction.atomic():
        if case:
            # The unique constraint settles a race: the loser's insert fails and it reads
            # the winner's rule instead.
            rule, created = BlockRule.objects.get_or_create(case=case, **fields, defaults=defaults)
        else:
            rule = BlockRule.objects.filter(case="", is_active=True, **fields).first()
            created = rule is None
            if created:
                rule = BlockRule.objects.create(**fields, **defaults)
        if created:
            audit_record(
                actor=actor,
                action="rule.created",
                obj=rule,
                reason=reason,
                after={
                    "kind": rule.kind,
                    "domain": rule.domain,
                    "url": rule.url,
                    "author": rule.author,
                    "guid": bool(rule.guid),
                    "text_fingerprint": bool(rule.text_fingerprint),
                },
                case=case,
            )
    return rule


def block_rule_deactivate(*, rule: BlockRule, actor: Actor, reason: str) -> BlockRule:
    """Stop a rule from withholding anything new (rule.deactivated). A rule is never
    deleted: items it withheld keep pointing at it. Deactivating it twice does nothing."""
    actor.check_may_decide("stop block rules")
    with transaction.atomic():
        changed = BlockRule.objects.filter(pk=rule.pk, is_active=True).update(
            is_active=False, deactivated_at=timezone.now()
        )
        rule.refresh_from_db()
        if changed:
            audit_record(
                actor=actor,
                action="rule.deactivated",
                obj=rule,
                reason=(reason or "").strip(),
                before={"is_active": True},
                after={"is_active": False},
                case=rule.case,
            )
    return rule


def origin_block_create(*, origin: Origin, actor: Actor, reason: str, case: str = "") -> bool:
    """Block an origin: an origin rule, so that ingest withholds everything new from it
    and its subdomains (origin.blocked, and rule.created). Items already published stay
    so: hide them with items_hide. An origin already blocked stays as it was (the first
    block stands). Returns whether this call blocked it."""
    actor.check_may_decide("block origins")
    with transaction.atomic():
        # One block at a time per origin: concurrent calls wait here.
        Origin.objects.select_for_update().filter(pk=origin.pk).first()
        if origin_block(origin.domain) is not None:
            return False
        rule = block_rule_create(
            kind=BlockRule.Kind.ORIGIN, origin=origin, actor=actor, reason=reason, case=case
        )
        audit_record(
            actor=actor,
            action="origin.blocked",
            obj=origin,
            reason=(reason or "").strip(),
            before={"blocked": False},
            after={"blocked": True, "rule": rule.pk, "request": case or None},
            case=case,
        )
    return True


def origin_block_lift(*, origin: Origin, actor: Actor, reason: str, case: str = "") -> bool:
    """Stop the origin rules of `case` ("" for the staff's own blocks) at this origin's
    domain (origin.unblocked). A request's block is lifted by reversing the request, never
    by hand: ValueError says which request still blocks it. Items withheld meanwhile stay
    withheld until restored. Returns whether the origin is unblocked by this call."""
    actor.check_may_decide("unblock origins")
    domain = normalise_domain(origin.domain)
    with transaction.atomic():
        Origin.objects.select_for_update().filter(pk=origin.pk).first()
        mine = BlockRule.objects.active().filter(
            kind=BlockRule.Kind.ORIGIN, domain=domain, case=case
        )
        rules = list(mine.order_by("pk"))
        for rule in rules:
            block_rule_deactivate(rule=rule, actor=actor, reason=reason)
        still = origin_block(domain)
        if still is not None and not case:
            by = f"removal request {still.case}" if still.case else f"the rule {still}"
            raise ValueError(
                f"{origin} stays blocked by {by}: reverse that request to lift its block"
            )
        if rules and still is None:
            audit_record(
                actor=actor,
                action="origin.unblocked",
                obj=origin,
                reason=(reason or "").strip(),
                before={"blocked": True, "request": case or None},
                after={"blocked": False},
                case=case,
            )
    return bool(rules) and still is None

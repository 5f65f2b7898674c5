"""Articles republished by another system that ingest never saw (a WordPress importer's
posts): put on record like any entry, so that every copy readers can see can be taken down.

The item carries the disclaimer readers of that copy were shown, frozen with its SHA-256,
and is decided by the one matcher like a new entry: a copy a rule covers is withheld (a
stay-down hit), and its caller keeps it from being shown."""

from datetime import datetime

from django.db import transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import author_key, sha256_text, text_fingerprint, url_key

from .ingest import _decide, _slugs, fit
from .models import Item, Origin
from .staydown import Candidate, article_host_of, block_for, stored_guid


def item_record_copy(
    *,
    origin: Origin,
    original_url: str,
    title: str,
    body: str,
    disclaimer: str,
    published_at: datetime | None,
    where: str,
    actor: Actor,
    now: datetime,
) -> Item:
    """Store the copy at `where` (a sentence naming the system and post) as a new item."""
    item = Item(
        origin=origin,
        guid=stored_guid(original_url),
        original_url=original_url,
        article_host=article_host_of(original_url, origin.domain),
        url_key=url_key(original_url),
        title=fit(Item, "title", title) or "Untitled",
        body=body,
        text_fingerprint=text_fingerprint(body),
        author_key=author_key(""),
        published_at=published_at,
        ingested_at=now,
        licence_basis=origin.licence_basis,
        status_changed_at=now,
    )
    status, reason = _decide(item, block_for(Candidate.of_item(item)), now)
    basis = item.licence_basis
    item.licence_note = basis.licence_note() if basis else ""
    item.licence_note_sha256 = sha256_text(item.licence_note)
    item.disclaimer = disclaimer
    item.disclaimer_sha256 = sha256_text(disclaimer)
    item.status, item.status_reason = status, reason
    if status == Item.Status.PUBLISHED:
        item.republished_at = published_at or now
    _slugs([item])
    published = status == Item.Status.PUBLISHED
    with transaction.atomic():
        item.save(force_insert=True)
        audit_record(
            actor=actor,
            action="item.published" if published else "item.withheld",
            obj=item,
            reason=reason or f"republished at {where}",
            after={
                "status": status,
                "url": original_url,
                "where": where,
                "disclaimer_sha256": item.disclaimer_sha256,
            }
            | ({"rule": item.status_rule_id} if item.status_rule_id else {}),
            case=item.status_case,
        )
    return item

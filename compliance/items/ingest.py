"""Storing a feed's entries: a new entry becomes an item, published or withheld; an entry
already stored brings its published item up to date.

Whether an entry is kept out is asked of compliance.items.staydown, the one matcher, for a
new entry and an edited one alike, a batch at a time. Entries are stored BATCH at a time,
each batch in one transaction with its audit events (set-based lookups of what exists and
of the rules, bulk inserts); a batch that fails is stored again entry by entry, so one bad
entry loses nothing else. The feed's row is locked for each, so two runs over the same feed
(a duplicate task, an overlapping beat and command) store each entry once. Network work
happens outside (compliance.items.fetching).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.text import slugify

from compliance.audit.services import Record, audit_record, audit_record_many
from compliance.core.actors import Actor
from compliance.core.normalise import author_key, sha256_text, text_fingerprint, url_key

from .attribution import item_freeze_attribution
from .models import Feed, Item, LicenceBasis
from .parsing import ParsedEntry, ParsedFeed
from .status import items_hide, origin_flag
from .staydown import Block, Candidate, article_host_of, block_for, blocks_for, stored_guid

logger = logging.getLogger("compliance.items")

INGEST_ACTOR = Actor.system("ingest")
SLUG_CHARS = 200
# Entries stored per transaction: one lookup of what exists, one of the block rules, one
# INSERT of the new items and one of their audit events per batch.
BATCH = 500
# Fields that a feed may change on an item already published ("updated"); the frozen
# licence note, disclaimer and their hashes are never among them.
UPDATABLE_FIELDS = (
    "title",
    "author",
    "body",
    "image_url",
    "photo_credit",
    "published_at",
    "rights_statement",
    "rights_licence_url",
)


@dataclass
class IngestOutcome:
    """What ingesting one feed (or one command-line source) did."""

    source: str
    feed_id: int | None = None
    new: int = 0  # new items published
    updated: int = 0  # published items whose content the feed changed
    withheld: int = 0  # new items stored withheld (licence, block rule), or taken down by an edit
    failed: bool = False
    outcome: str = ""  # Feed.Outcome value, or "" when no fetch happened
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # entries that could not be stored


def link_fragment(url: str) -> str:
    """The #fragment of a permalink: url_key ignores it, but a weblog that publishes each
    entry at an anchor of one page makes it part of the article's address."""
    return urlsplit(url).fragment if "#" in url else ""


def _same_fragment(stored: str, new: str) -> bool:
    return stored == new or not stored or not new


def fit(model, name: str, value: str) -> str:
    return value[: model._meta.get_field(name).max_length]


def _licence_problem(basis: LicenceBasis | None, now: datetime) -> str:
    if basis is None or basis.is_valid_at(now):
        return ""
    if basis.valid_from and now < basis.valid_from:
        return f"licence not yet valid: {basis.name} is valid from {basis.valid_from:%Y-%m-%d}"
    return "licence expired"


def _entry_fields(entry: ParsedEntry) -> dict:
    return {
        "title": fit(Item, "title", entry.title) or "Untitled",
        "author": fit(Item, "author", entry.author),
        "body": entry.body,
        "image_url": fit(Item, "image_url", entry.image_url),
        "photo_credit": fit(Item, "photo_credit", entry.photo_credit),
        "published_at": entry.published_at,
        "rights_statement": entry.rights_statement,
        "rights_licence_url": fit(Item, "rights_licence_url", entry.rights_licence_url),
    }


def _decide(item: Item, block: Block | None, now: datetime) -> tuple[str, str]:
    """(status, reason) for a new item; records the rule and its case for a block. A block
    comes first: when the licence has lapsed too, the takedown is what the item records."""
    if block is not None:
        item.status_rule = block.rule
        item.status_case = block.case
        return Item.Status.WITHHELD, block.reason
    problem = _licence_problem(item.licence_basis, now)
    if problem:
        return Item.Status.WITHHELD, problem
    return Item.Status.PUBLISHED, ""


def _new_item(feed: Feed, entry: ParsedEntry, now: datetime) -> Item:
    origin = feed.origin
    fields = _entry_fields(entry)
    return Item(
        origin=origin,
        feed=feed,
        guid=stored_guid(entry.guid),
        original_url=entry.link,
        article_host=article_host_of(entry.link, origin.domain),
        url_key=url_key(entry.link),
        author_key=author_key(fields["author"]),
        text_fingerprint=text_fingerprint(entry.body),
        ingested_at=now,
        licence_basis=origin.licence_basis,
        status_changed_at=now,
        **fields,
    )


def _publish_or_withhold(item: Item, block: Block | None, now: datetime) -> None:
    status, reason = _decide(item, block, now)
    if status == Item.Status.PUBLISHED:
        try:
            item_freeze_attribution(item=item)
        except TemplateSyntaxError as exc:
            status, reason = Item.Status.WITHHELD, f"disclaimer template error: {exc}"
            item.licence_note = item.disclaimer = ""
            item.licence_note_sha256 = item.disclaimer_sha256 = ""
            origin_flag(
                origin=item.origin,
                actor=INGEST_ACTOR,
                note=f"The disclaimer template does not render: {exc}",
                reason="disclaimer template error",
            )
    item.status, item.status_reason = status, reason
    if status == Item.Status.PUBLISHED:
        item.republished_at = now


def _slug_base(title: str, guid: str) -> str:
    # A title in a script slugify drops (Cyrillic, Chinese…) would give every such item
    # "item", "item-2", … and one more query per item each time: name it by its guid.
    return slugify(title)[:SLUG_CHARS].strip("-") or f"item-{sha256_text(guid)[:10]}"


def _slugs(items: list[Item]) -> None:
    """A unique slug for each item: the title's, numbered when taken. One query for the
    batch; only a slug already taken costs more."""
    bases = [
        slugify(i.title)[:SLUG_CHARS].strip("-") or f"item-{sha256_text(i.guid)[:10]}"
        for i in items
    ]
    taken = set(Item.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
    for item, base in zip(items, bases, strict=True):
        slug, number = base, 2
        while slug in taken or (slug != base and Item.objects.filter(slug=slug).exists()):
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        item.slug = slug


def _record(item: Item, feed: Feed) -> Record:
    published = item.status == Item.Status.PUBLISHED
    after = {"status": item.status, "feed": feed.pk, "guid": item.guid, "url": item.original_url}
    if published:
        after |= {
            "licence_note_sha256": item.licence_note_sha256,
            "disclaimer_sha256": item.disclaimer_sha256,
        }
    elif item.status_rule_id:
        after["rule"] = item.status_rule_id
    return Record(
        obj=item,
        action="item.published" if published else "item.withheld",
        reason=item.status_reason or f"new item in feed {feed.url}",
        after=after,
        case=item.status_case,
    )


def _create_items(feed: Feed, entries: list[ParsedEntry], now: datetime) -> list[str]:
    """Store new entries as items, published or withheld: one rule lookup, one INSERT of
    the items and one of their audit events for the whole batch. Returns "new" or
    "withheld" for each. An IntegrityError (another run stored a guid or took a slug
    meanwhile) rolls the caller's batch back; it is then stored entry by entry."""
    if not entries:
        return []
    items = [_new_item(feed, entry, now) for entry in entries]
    blocks = blocks_for([Candidate.of_item(item) for item in items])
    for item, block in zip(items, blocks, strict=True):
        _publish_or_withhold(item, block, now)
    _slugs(items)
    with transaction.atomic():
        Item.objects.bulk_create(items)
    audit_record_many(actor=INGEST_ACTOR, records=[_record(item, feed) for item in items])
    return ["new" if i.status == Item.Status.PUBLISHED else "withheld" for i in items]


def _update_item(item: Item, entry: ParsedEntry) -> str:
    """Bring a published item up to date with its entry. Hidden and withheld items are left
    alone: an update must never bring them back. An edit that makes the article match a
    block rule (a new author line, a removed text) takes it down, as a new entry would be
    kept out. Returns "updated", "withheld" or "unchanged"."""
    if item.status != Item.Status.PUBLISHED:
        return "unchanged"
    fields = _entry_fields(entry)
    changed = [name for name in UPDATABLE_FIELDS if getattr(item, name) != fields[name]]
    if not changed:
        return "unchanged"
    before = {name: str(getattr(item, name))[:300] for name in changed}
    for name in changed:
        setattr(item, name, fields[name])
    item.author_key = author_key(item.author)
    item.text_fingerprint = text_fingerprint(item.body)
    item.save(update_fields=[*changed, "author_key", "text_fingerprint"])
    audit_record(
        actor=INGEST_ACTOR,
        action="item.updated",
        obj=item,
        reason="the feed changed the article",
        before=before,
        after={name: str(getattr(item, name))[:300] for name in changed},
    )
    block = block_for(Candidate.of_item(item))
    if block is not None:
        items_hide(
            items=Item.objects.filter(pk=item.pk),
            actor=INGEST_ACTOR,
            reason=f"{block.reason} (the feed changed the article)",
            case=block.case,
            rule=block.rule,
        )
        return "withheld"
    return "updated"


def _same_article(stored: list[Item], link: str) -> Item | None:
    """Of the items under the entry's URL, the one that is its article: the same URL. A
    weblog's entries at anchors of one page (#a1, #a2) are distinct articles, though: two
    different fragments never match (a fragment added or dropped, "#top", still does)."""
    fragment = link_fragment(link)
    return next(
        (i for i in stored if _same_fragment(link_fragment(i.original_url), fragment)), None
    )


def _store_batch(feed: Feed, entries: list[ParsedEntry]) -> list[str]:
    """A batch of entries in one transaction: the items they name looked up together (by
    guid at the origin, else by URL), the new ones stored together, the known ones brought
    up to date. Returns "new", "withheld", "updated" or "unchanged" for each entry."""
    now = timezone.now()
    with transaction.atomic():
        # Serialises runs over the same feed (PostgreSQL; SQLite's writes are serial anyway).
        feed = (
            Feed.objects.select_for_update(of=("self",))
            .select_related("origin__licence_basis")
            .get(pk=feed.pk)
        )
        items = Item.objects.select_for_update().select_related("origin")
        guids = {stored_guid(entry.guid) for entry in entries}
        by_guid = {i.guid: i for i in items.filter(origin=feed.origin, guid__in=guids)}
        keys = {url_key(e.link) for e in entries if stored_guid(e.guid) not in by_guid}
        by_key = defaultdict(list)
        for item in items.filter(url_key__in=keys).order_by("pk") if keys else ():
            by_key[item.url_key].append(item)
        results: dict[int, str] = {}
        new = []
        for index, entry in enumerate(entries):
            existing = by_guid.get(stored_guid(entry.guid)) or _same_article(
                by_key.get(url_key(entry.link), []), entry.link
            )
            if existing is None:
                new.append(index)
            elif existing.origin_id != feed.origin_id:
                # The same article seen in another site's feed: not stored twice, and that
                # site's text never replaces the origin's under the origin's attribution.
                results[index] = "unchanged"
            else:
                results[index] = _update_item(existing, entry)
        created = _create_items(feed, [entries[i] for i in new], now)
        results.update(zip(new, created, strict=True))
    return [results[index] for index in range(len(entries))]


def entries_store(feed: Feed, parsed: ParsedFeed, outcome: IngestOutcome) -> None:
    """Store every entry of a parsed feed, counting what happened in `outcome`. An entry
    that cannot be stored is recorded there and skipped."""
    outcome.warnings.extend(parsed.warnings)
    seen_keys, storable = set(), []
    for entry in parsed.entries:
        if not entry.link:
            outcome.warnings.append(
                f"entry {entry.title[:60]!r} has no http(s) link to its original: skipped"
            )
            continue
        if len(entry.link) > Item._meta.get_field("original_url").max_length:
            outcome.warnings.append(f"entry {entry.title[:60]!r}: link too long, skipped")
            continue
        key = (url_key(entry.link), link_fragment(entry.link))
        if key in seen_keys:
            outcome.warnings.append(f"entry {entry.title[:60]!r} repeats a link: skipped")
            continue
        seen_keys.add(key)
        storable.append(entry)
    for start in range(0, len(storable), BATCH):
        batch = storable[start : start + BATCH]
        try:
            results = _store_batch(feed, batch)
        except Exception:  # one bad entry must not stop the batch: store them one by one
            logger.info("batch of feed %s failed; storing its entries one by one", feed.pk)
            results = [_store_alone(feed, entry, outcome) for entry in batch]
        for result in results:
            if result == "new":
                outcome.new += 1
            elif result == "withheld":
                outcome.withheld += 1
            elif result == "updated":
                outcome.updated += 1


def _store_alone(feed: Feed, entry: ParsedEntry, outcome: IngestOutcome) -> str:
    try:
        try:
            return _store_batch(feed, [entry])[0]
        except IntegrityError:
            # Another feed's run took the slug meanwhile (runs over one feed are serial):
            # the slugs are chosen again.
            return _store_batch(feed, [entry])[0]
    except Exception as exc:  # one bad entry must not stop the feed
        logger.exception("storing entry %r of feed %s failed", entry.guid, feed.pk)
        outcome.errors.append(f"entry {entry.title[:60]!r} not stored: {exc}")
        return "failed"

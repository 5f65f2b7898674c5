import secrets
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance.core.normalise import author_key, sha256_text, text_fingerprint, url_key
from compliance.core.permissions import officers_group
from compliance.items.models import BlockRule, Feed, Item, LicenceBasis, Origin
from compliance.takedowns.models import RemovalRequest, RemovalTarget


class LicenceBasisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceBasis

    name = "Public feed (educational use)"
    kind = LicenceBasis.Kind.PUBLIC_FEED


class OriginFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Origin
        django_get_or_create = ("domain",)

    domain = factory.Sequence(lambda n: f"origin{n}.example")
    name = factory.Sequence(lambda n: f"Origin Daily {n}")
    home_page = factory.LazyAttribute(lambda o: f"https://{o.domain}/")
    licence_basis = factory.SubFactory(LicenceBasisFactory)


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    origin = factory.SubFactory(OriginFactory)
    url = factory.LazyAttribute(lambda f: f"https://{f.origin.domain}/feed.xml")


class ItemFactory(factory.django.DjangoModelFactory):
    """A published item as ingest leaves it (frozen texts and keys filled in)."""

    class Meta:
        model = Item
        exclude = ("status_request",)

    status_request = None  # the RemovalRequest behind the status, recorded as its case
    status_case = factory.LazyAttribute(
        lambda i: i.status_request.reference if i.status_request else ""
    )
    origin = factory.SubFactory(OriginFactory)
    feed = None
    guid = factory.Sequence(lambda n: f"guid-{n}")
    original_url = factory.LazyAttributeSequence(
        lambda i, n: f"https://{i.origin.domain}/news/article-{n}"
    )
    url_key = factory.LazyAttribute(lambda i: url_key(i.original_url))
    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Synthetic headline number {n}")
    author = "Casey Example"
    author_key = factory.LazyAttribute(lambda i: author_key(i.author))
    body = factory.Sequence(
        lambda n: (
            f"<p>Paragraph one of synthetic article {n}, written for tests only.</p>"
            f"<p>A second paragraph with more invented words so that the text is long enough.</p>"
        )
    )
    text_fingerprint = factory.LazyAttribute(lambda i: text_fingerprint(i.body))
    image_url = "https://cdn.example/photo.jpg"
    photo_credit = "Photo: Example Agency/Jane Lens"
    published_at = factory.LazyFunction(timezone.now)
    republished_at = factory.LazyFunction(timezone.now)
    licence_basis = factory.LazyAttribute(lambda i: i.origin.licence_basis)
    licence_note = factory.LazyAttribute(
        lambda i: i.licence_basis.licence_note() if i.licence_basis else ""
    )
    licence_note_sha256 = factory.LazyAttribute(lambda i: sha256_text(i.licence_note))
    disclaimer = factory.LazyAttribute(
        lambda i: f"This content is courtesy of {i.origin.name} and its author."
    )
    disclaimer_sha256 = factory.LazyAttribute(lambda i: sha256_text(i.disclaimer))
    status = Item.Status.PUBLISHED


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user; `officer=True` puts them in the "Compliance officers" group."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example")
    is_staff = True
    password = factory.django.Password("not-a-real-password-42")

    @factory.post_generation
    def officer(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(officers_group())


class RemovalRequestFactory(factory.django.DjangoModelFactory):
    """A removal request stored directly in any status (pass `status=`), for tests that do
    not go through request_submit. It has no targets unless the test adds them."""

    class Meta:
        model = RemovalRequest

    reference = factory.Sequence(lambda n: f"TD-2026-{90000 + n:05d}")
    channel = RemovalRequest.Channel.WEB
    requester_name = "Robin Rights"
    requester_email = factory.Sequence(lambda n: f"requester{n}@rights.example")
    role = RemovalRequest.Role.AUTHOR
    scope = RemovalRequest.Scope.ITEMS
    ground = RemovalRequest.Ground.COPYRIGHT
    explanation = "I wrote this article and did not agree to its republication."
    good_faith = True
    accuracy = True
    signature = "Robin Rights"
    received_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda r: r.received_at + timedelta(hours=48))
    status_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))


class RemovalTargetFactory(factory.django.DjangoModelFactory):
    """One URL of a request, resolved to `item` (pass item=None for an unknown URL)."""

    class Meta:
        model = RemovalTarget

    request = factory.SubFactory(RemovalRequestFactory)
    item = factory.SubFactory(ItemFactory)
    url = factory.LazyAttribute(lambda t: t.item.original_url if t.item else "https://x.example/")
    url_key = factory.LazyAttribute(lambda t: url_key(t.url))


class BlockRuleFactory(factory.django.DjangoModelFactory):
    """An active stay-down rule made from `item` (pass item=…): kind "url" copies its URL
    key and text fingerprint, "author" its author at its origin, "origin" its origin."""

    class Meta:
        model = BlockRule
        exclude = ("item", "request")

    item = None
    request = None  # the RemovalRequest whose case the rule belongs to
    case = factory.LazyAttribute(lambda r: r.request.reference if r.request else "")
    kind = BlockRule.Kind.URL
    origin = factory.LazyAttribute(lambda r: r.item.origin if r.item else OriginFactory())
    domain = factory.LazyAttribute(lambda r: r.origin.domain)
    url = factory.LazyAttribute(lambda r: r.item.original_url if r.kind == "url" else "")
    url_key = factory.LazyAttribute(lambda r: r.item.url_key if r.kind == "url" else "")
    guid = factory.LazyAttribute(lambda r: r.item.guid if r.kind == "url" and r.item else "")
    text_fingerprint = factory.LazyAttribute(
        lambda r: r.item.text_fingerprint if r.kind == "url" else ""
    )
    author = factory.LazyAttribute(lambda r: r.item.author if r.kind == "author" else "")
    author_key = factory.LazyAttribute(lambda r: r.item.author_key if r.kind == "author" else "")

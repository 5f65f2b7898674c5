"""`manage.py demo`: synthetic demo data, loaded the way real data arrives.

Two invented outlets whose feeds are files in compliance/items/demo/: The Harbourlight
Gazette (RSS 2.0, republished on the public-feed, educational-use basis) and the Fennel &
Thistle Review (Atom, under CC BY 4.0). Their items are created by the real `ingest`
command, so each carries the disclaimer and licence note frozen at publication. Before
ingesting, a staff block rule keeps one Gazette author's articles down; that author's item
arrives withheld and its page answers 451, as stay-down does for real.

Running it again changes nothing: origins, bases and the rule are looked up before being
created, ingest recognises the items it has already stored, and an existing `admin`
user keeps its password.
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from compliance.accounts.management.commands.staff_2fa import enrolment_text
from compliance.accounts.second_factor import second_factor_enrol
from compliance.core.actors import Actor
from compliance.items.configuration import licence_basis_create, origin_create
from compliance.items.models import BlockRule, Feed, Item, LicenceBasis, Origin
from compliance.items.rules import block_rule_create

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEFAULT_PASSWORD = "courtesy-demo"
ADMIN_USERNAME = "admin"
WITHHELD_AUTHOR = "Bartholomew Quince"

LICENCE_BASES = {
    "public": {
        "name": "Public RSS feed, educational use",
        "kind": LicenceBasis.Kind.PUBLIC_FEED,
        "terms": "Articles the origin offers in its public RSS feed, republished in full with "
        "credit to the author and the origin, for educational use, and removed on request.",
        "evidence_note": "The origin publishes a full-text public feed (demo data).",
    },
    "cc-by": {
        "name": "CC BY 4.0 (Fennel & Thistle Review)",
        "kind": LicenceBasis.Kind.CREATIVE_COMMONS,
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "terms": "Attribution 4.0 International: share and adapt, with credit and a link to "
        "the licence.",
        "evidence_url": "https://fennel-review.example/about/licence",
        "evidence_note": 'The feed carries <link rel="license"> to CC BY 4.0 (demo data).',
    },
}

ORIGINS = [
    {
        "domain": "harbourlight-gazette.example",
        "name": "The Harbourlight Gazette",
        "home_page": "https://harbourlight-gazette.example/",
        "contact_emails": "editor@harbourlight-gazette.example",
        "basis": "public",
        "feed": "harbourlight-gazette.rss.xml",
    },
    {
        "domain": "fennel-review.example",
        "name": "Fennel & Thistle Review",
        "home_page": "https://fennel-review.example/",
        "contact_emails": "rights@fennel-review.example",
        "basis": "cc-by",
        "feed": "fennel-thistle-review.atom.xml",
    },
]

DEMO_ACTOR = Actor.system("demo")


class Command(BaseCommand):
    help = "Load synthetic demo data: two origins, their feeds and items, and the admin user."

    def handle(self, *args, **options):
        with transaction.atomic():
            origins = [self._origin(spec) for spec in ORIGINS]
            self._withholding_rule(origins[0])
        paths = [str(DEMO_DIR / spec["feed"]) for spec in ORIGINS]
        call_command("ingest", *paths, stdout=self.stdout, stderr=self.stderr)
        self._admin_user()
        published = Item.objects.published().filter(origin__in=origins).count()
        withheld = Item.objects.filter(origin__in=origins, status=Item.Status.WITHHELD).count()
        self.stdout.write(
            f"demo: {len(origins)} origins, "
            f"{Feed.objects.filter(origin__in=origins).count()} feeds, "
            f"{published} items published, {withheld} withheld"
        )

    def _origin(self, spec: dict) -> Origin:
        fields = LICENCE_BASES[spec["basis"]]
        basis = LicenceBasis.objects.filter(name=fields["name"]).first() or licence_basis_create(
            actor=DEMO_ACTOR, reason="demo data", **fields
        )
        return Origin.objects.filter(domain=spec["domain"]).first() or origin_create(
            actor=DEMO_ACTOR,
            reason="demo data",
            domain=spec["domain"],
            name=spec["name"],
            home_page=spec["home_page"],
            contact_emails=spec["contact_emails"],
            licence_basis=basis,
        )

    def _withholding_rule(self, origin: Origin) -> None:
        """A staff rule, as if an earlier request had kept this author's work down. The
        service returns the active rule already there on a second run."""
        block_rule_create(
            kind=BlockRule.Kind.AUTHOR,
            origin=origin,
            author=WITHHELD_AUTHOR,
            actor=DEMO_ACTOR,
            reason="Demo data: keeps one author's articles from this origin down.",
        )

    def _admin_user(self) -> None:
        users = get_user_model().objects
        if users.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write(
                f"staff user: {ADMIN_USERNAME} (already present, password unchanged; a new "
                f"demo user gets DEMO_ADMIN_PASSWORD or {DEFAULT_PASSWORD!r}; "
                f"`manage.py staff_2fa {ADMIN_USERNAME}` gives it a new two-factor key)"
            )
            return
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_PASSWORD
        user = users.create_superuser(ADMIN_USERNAME, f"{ADMIN_USERNAME}@example.org", password)
        self.stdout.write(f"staff user: {ADMIN_USERNAME} / password: {password}")
        # A superuser signs in with a second factor, in the demo too: its key and codes.
        self.stdout.write(
            enrolment_text(ADMIN_USERNAME, second_factor_enrol(user=user, actor=DEMO_ACTOR))
        )

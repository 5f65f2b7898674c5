"""A few reasons to start from, so the reject page has choices on a fresh install; staff
edit, retire or add to them in the admin."""

from django.db import migrations

REASONS = [
    (
        "Not shown to be the rights holder",
        "We could not confirm that you are the author of this content, hold its rights, or "
        "are authorised to act for the person who does. If you are, please reply with "
        "something that shows it (for example a link to your author page at the original "
        "site, or a mail from an address at that site).",
    ),
    (
        "Content not found on our site",
        "We could not find the content you name among the articles we republish. Please "
        "reply with the address of our page (it starts with our site's address and "
        "/items/) or of the original article.",
    ),
    (
        "Licence permits republication",
        "The content is republished under a licence that permits it, and the licence we rely "
        "on is stated on the page with a link to its terms. If you believe the licence does "
        "not apply or has been withdrawn, please reply with the details.",
    ),
    (
        "Incomplete notice",
        "Your notice lacks information we need to act on it: the exact addresses of the "
        "content, a statement of your good-faith belief that its use is not authorised, a "
        "statement that the notice is accurate and that you are authorised to act, and "
        "your full name as a signature. Please send a new request with these elements.",
    ),
]


def create(apps, schema_editor):
    ReasonTemplate = apps.get_model("takedowns", "ReasonTemplate")
    for title, text in REASONS:
        ReasonTemplate.objects.get_or_create(title=title, defaults={"text": text})


def remove(apps, schema_editor):
    titles = [title for title, _ in REASONS]
    apps.get_model("takedowns", "ReasonTemplate").objects.filter(title__in=titles).delete()


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0003_compliance_officers_group")]
    operations = [migrations.RunPython(create, remove)]

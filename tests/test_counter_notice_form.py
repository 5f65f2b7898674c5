"""The public counter-notice form, from the 451 page to the staff's acceptance: verified by
email like a notice, then forwarded by the one path that starts the restoration clock."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from compliance.messaging.models import Message
from compliance.takedowns.counter_intake import counter_notice_accept, counter_notice_decline
from compliance.takedowns.models import CounterNotice, CounterNoticeSubmission
from tests.factories import ItemFactory, RemovalRequestFactory, UserFactory
from tests.test_counter_notice import completed, officer  # noqa: F401 - fixtures
from tests.test_takedown_form import visible_text

FORM = "/takedown/counter-notice/"
ELEMENTS = {
    "name": "Casey Example",
    "address": "1 Invented Lane\nQuarrow",
    "phone": "+44 0000 000000",
    "email": "casey@author.example",
    "material": "My article, republished on your site under /items/.",
    "explanation": "I wrote it and licensed it to the Quarrow Post under CC BY.",
    "mistake_statement": "on",
    "jurisdiction_consent": "on",
    "signature": "Casey Example",
    "website": "",
}


def submit(client, slug, **overrides):
    data = {k: v for k, v in {**ELEMENTS, **overrides}.items() if v is not None}
    return client.post(f"{FORM}?item={slug}", data, headers={"accept-language": "fr"})


def test_the_451_page_links_the_form_which_carries_the_dmca_elements(completed, client):  # noqa: F811
    removal_request, hidden, withheld, _ = completed
    page = client.get(f"/items/{hidden.slug}/").content.decode()
    assert f'href="/takedown/counter-notice/?item={hidden.slug}"' in page
    # Withheld (never published) content has no counter-notice link.
    assert "counter-notice" not in client.get(f"/items/{withheld.slug}/").content.decode()

    form = client.get(f"{FORM}?item={hidden.slug}")
    assert form.status_code == 200
    text = visible_text(form)
    assert removal_request.reference in text
    assert "under penalty of perjury" in text and "mistake or misidentification" in text
    assert "consent to the jurisdiction of the Federal District Court" in text
    for name in ("name", "address", "phone", "email", "material", "explanation", "signature"):
        assert f'name="{name}"' in form.content.decode()
    assert hidden.public_url in form.content.decode()  # the material, pre-filled


@pytest.mark.django_db
def test_no_form_for_content_not_removed_by_a_completed_request(client):
    published = ItemFactory()
    processing = RemovalRequestFactory(status="processing")
    hidden = ItemFactory(status="hidden", status_case=processing.reference)
    for slug in (published.slug, hidden.slug, "no-such-item", ""):
        assert client.get(f"{FORM}?item={slug}").status_code == 404


def test_missing_elements_are_listed_and_nothing_is_stored(completed, client):  # noqa: F811
    hidden = completed[1]
    response = submit(client, hidden.slug, phone="", jurisdiction_consent=None)
    assert response.status_code == 200
    assert not CounterNoticeSubmission.objects.exists() and not Message.objects.exists()
    links = re.findall(
        r'<a href="#([^"]+)">',
        response.content.decode().split('id="form-errors"')[1].split("</div>")[0],
    )
    assert links == ["id_phone", "id_jurisdiction_consent"]
    assert "1 Invented Lane" in response.content.decode()  # what was typed is kept


def test_end_to_end_verified_then_accepted_runs_the_existing_forwarding_and_clock(
    completed,  # noqa: F811
    officer,  # noqa: F811
    client,
):
    removal_request, hidden, _, _ = completed
    assert submit(client, hidden.slug).status_code == 302
    submission = CounterNoticeSubmission.objects.get()
    assert submission.status == "received" and submission.language == "fr"
    mail = Message.objects.get(kind="counter_notice_verification")
    assert mail.recipients == ["casey@author.example"]
    assert "Veuillez confirmer votre contre-notification" in mail.subject
    link = re.search(r"http://testserver(/takedown/counter-notice/verify/[^\s]+/)", mail.text_body)[
        1
    ]
    # Not in the queue before its address is verified.
    with pytest.raises(Exception, match="verified"):
        counter_notice_accept(submission=submission, user=officer)

    page = Client().get(link)
    assert (
        page.status_code == 200 and "Cache-Control" in page and "no-store" in page["Cache-Control"]
    )
    assert Client().get(link).status_code == 200  # a second click changes nothing
    submission.refresh_from_db()
    assert submission.status == "verified"

    staff = Client()
    staff.force_login(officer)
    queue = staff.get("/admin/takedowns/counternoticesubmission/?status__exact=verified")
    assert "Casey Example" in queue.content.decode()
    response = staff.post(
        "/admin/takedowns/counternoticesubmission/",
        {"action": "accept", "_selected_action": [submission.pk]},
        follow=True,
    )
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == "accepted"
    notice = CounterNotice.objects.get()
    assert submission.counter_notice == notice and notice.request == removal_request
    assert notice.restore_at is not None  # the 10-business-day clock runs
    forward = Message.objects.get(kind="counter_notice")
    assert forward.recipients == [removal_request.requester_email]
    assert "Casey Example" in forward.text_body


def test_declined_with_a_reason_mailed_to_the_sender(completed, officer, client):  # noqa: F811
    hidden = completed[1]
    submit(client, hidden.slug)
    submission = CounterNoticeSubmission.objects.get()
    Client().get(f"/takedown/counter-notice/verify/{submission.token}/")
    submission.refresh_from_db()
    with pytest.raises(PermissionDenied):
        counter_notice_decline(
            submission=submission, user=UserFactory(username="clerk"), reason="x"
        )
    counter_notice_decline(submission=submission, user=officer, reason="Not your article.")
    declined = Message.objects.get(kind="counter_notice_declined")
    assert "Not your article." in declined.text_body and declined.recipients == [
        "casey@author.example"
    ]
    assert not CounterNotice.objects.exists()


@pytest.mark.django_db
def test_a_bad_verification_link_is_refused(client):
    assert client.get("/takedown/counter-notice/verify/nonsense/").status_code == 404

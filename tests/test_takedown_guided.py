"""The guided notice: the ground first, statements worded for it, "the whole origin" only for
those who speak for the site, an error summary that links to each field, and the URL check."""

import html
import re

import pytest
import time_machine
from django.core.cache import cache

from compliance.takedowns.forms import (
    ACCURACY_STATEMENT,
    DSA_ACCURACY_STATEMENT,
    DSA_GOOD_FAITH_STATEMENT,
    GOOD_FAITH_STATEMENT,
)
from compliance.takedowns.models import RemovalRequest
from tests.factories import ItemFactory, OriginFactory
from tests.test_takedown_form import FORM, valid_data

CHECK = "/takedown/check-urls/"


@pytest.mark.django_db
def test_the_ground_comes_first_and_each_wording_is_marked_for_its_ground(client):
    content = html.unescape(client.get(FORM).content.decode())
    assert content.index('name="ground"') < content.index('name="requester_name"')
    # Copyright keeps the DMCA's statements; the other grounds get the DSA's, with no
    # copyright or perjury wording. CSS shows the one for the ground ticked.
    assert f'<span class="only-copyright">{GOOD_FAITH_STATEMENT}</span>' in content
    assert f'<span class="only-copyright">{ACCURACY_STATEMENT}</span>' in content
    assert f'<span class="only-dsa">{DSA_GOOD_FAITH_STATEMENT}</span>' in content
    assert f'<span class="only-dsa">{DSA_ACCURACY_STATEMENT}</span>' in content
    for wording in (DSA_GOOD_FAITH_STATEMENT, DSA_ACCURACY_STATEMENT):
        assert "copyright" not in str(wording) and "perjury" not in str(wording)
    assert ":has(input[name=ground]:checked:not([value=copyright])) .only-dsa" in content
    for ground in ("copyright", "licence_withdrawn", "privacy", "defamation", "other"):
        assert f'class="only-{ground}"' in content  # guidance on what the ground needs


@pytest.mark.django_db
@pytest.mark.parametrize("ground", ["licence_withdrawn", "privacy", "defamation", "other"])
def test_a_notice_on_another_ground_is_taken_with_the_dsa_statements(client, ground):
    response = client.post(FORM, valid_data(ground=ground))
    assert response.status_code == 302
    removal_request = RemovalRequest.objects.get()
    assert removal_request.ground == ground
    assert removal_request.good_faith and removal_request.accuracy


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["author", "agent", "other"])
def test_the_whole_origin_is_only_for_rights_holders_and_site_representatives(client, role):
    response = client.post(FORM, valid_data(role=role, scope="origin"))
    assert response.status_code == 200
    assert not RemovalRequest.objects.exists()
    text = html.unescape(response.content.decode())
    assert "only a rights holder or a representative of the site may ask for it" in text
    assert re.search(r'href="#id_scope_0">Remove: “The whole origin” removes everything', text)


@pytest.mark.django_db
def test_a_rights_holder_may_ask_for_the_whole_origin(client):
    assert client.post(FORM, valid_data(role="rights_holder", scope="origin")).status_code == 302
    assert RemovalRequest.objects.get().scope == "origin"
    page = client.get(FORM).content.decode()
    # Shown only once "rights holder or site representative" is ticked (CSS), and explained.
    assert ":not(:has(input[name=role][value=rights_holder]:checked)) #id_scope" in page
    assert 'id="scope-note"' in page


@pytest.mark.django_db
def test_error_summary_links_each_error_to_its_field_and_keeps_the_values(client):
    response = client.post(
        FORM,
        valid_data(requester_name="", requester_email="robin-at-rights", role=None, accuracy=None),
    )
    assert response.status_code == 200
    assert not RemovalRequest.objects.exists()  # nothing stored until the form is valid
    content = html.unescape(response.content.decode())
    summary = content[
        content.index('id="form-errors"') : content.index(
            "</div>", content.index('id="form-errors"')
        )
    ]
    assert 'role="alert"' in content[content.index('<div class="error-summary"') :][:200]
    assert 'tabindex="-1"' in content[content.index('<div class="error-summary"') :][:200]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_requester_name", "Your full name: This field is required."),
        ("id_requester_email", "Your email address: Enter a valid email address."),
        ("id_role_0", "You are: This field is required."),
        (
            "id_accuracy",
            "Accuracy statement: A removal notice is valid only with this statement: "
            "tick it to confirm.",
        ),
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in content  # every link lands on its input
    assert "<title>Error: Ask for content to be removed" in content
    assert 'value="robin-at-rights"' in content
    assert "I wrote both articles and never agreed to their republication." in content


# --- the URL check -------------------------------------------------------------------------


@pytest.mark.django_db
def test_url_check_says_which_addresses_are_ours_and_which_article(client):
    cache.clear()
    origin = OriginFactory(domain="fennel.example", name="Fennel Review")
    item = ItemFactory(
        origin=origin, title="Orchard second life", original_url="https://fennel.example/orchard"
    )
    hidden = ItemFactory(
        origin=origin,
        title="A secret title",
        status="hidden",
        original_url="https://fennel.example/gone",
    )
    urls = "\n".join(
        [
            item.original_url,
            item.public_url,
            hidden.original_url,
            "https://fennel.example/never",
            "https://elsewhere.example/x",
        ]
    )
    response = client.get(CHECK, {"urls": urls})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    results = response.json()["results"]
    assert [r["known"] for r in results] == [True, True, True, False, False]
    assert results[0]["message"] == "ours: “Orchard second life”, from Fennel Review"
    assert results[1]["message"] == results[0]["message"]
    assert results[2]["message"] == "ours, but no longer shown here"
    assert "A secret title" not in response.content.decode()
    assert "from Fennel Review, but no article of ours" in results[3]["message"]
    assert results[4]["message"] == "not an address we know: our staff will look at it"
    french = client.get(CHECK, {"urls": item.original_url}, headers={"accept-language": "fr"})
    assert french.json()["results"][0]["message"].startswith("chez nous : ")


@pytest.mark.django_db
@time_machine.travel("2026-12-04 10:00:05", tick=False)  # one window of the limit
def test_url_check_is_rate_limited_per_client(client):
    cache.clear()
    for _ in range(30):
        assert client.get(CHECK, {"urls": "https://x.example/"}).status_code == 200
    assert client.get(CHECK, {"urls": "https://x.example/"}).status_code == 429
    other = client.get(CHECK, {"urls": "https://x.example/"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200

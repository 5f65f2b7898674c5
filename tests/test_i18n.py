"""Every public page and every mail to a requester in English, French, German and Spanish."""

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
import time_machine
from django.utils import translation

from compliance.messaging.models import Message
from compliance.takedowns.decisions import request_reject
from compliance.takedowns.models import RemovalRequest
from tests.factories import ItemFactory, RemovalRequestFactory, UserFactory
from tests.test_takedown_form import valid_data, visible_text

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "de", "es")


def _catalogue(language) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


# --- the catalogues ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated_and_none_is_fuzzy(language):
    catalogue = _catalogue(language)
    untranslated = [e.msgid for e in catalogue if not e.translated()]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not untranslated and not fuzzy, (untranslated, fuzzy)
    assert len(catalogue) > 250


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    """The committed .mo is the .po compiled: an edit without compilemessages fails here."""
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in _catalogue(language)}
    compiled = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    assert {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in compiled if e.msgid} == {
        k: (v if isinstance(v, str) else {int(n): s for n, s in v.items()})
        for k, v in source.items()
    }


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    """makemessages over a copy of the code finds no msgid that the catalogue lacks: a
    string marked for translation but never translated fails the suite."""
    for name in ("compliance", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--ignore=templates/admin/*",
            "--ignore=templates/reports/*",
            "--ignore=templates/emails/compliance_report*",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    found = {e.msgid for e in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    for language in LANGUAGES:
        have = {e.msgid for e in _catalogue(language)}
        assert found - have == set(), f"not in locale/{language}: {sorted(found - have)}"


# --- pages ---------------------------------------------------------------------------------


def _english_left(text: str, language: str) -> list[str]:
    """English sentences of our catalogue still visible on a page in `language`."""
    left = []
    for entry in _catalogue(language):
        english = re.sub(r"<[^>]+>", "", entry.msgid)
        if "%(" in english or len(english) < 14 or english == entry.msgstr:
            continue
        if english in text:
            left.append(english)
    return left


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_are_wholly_in_the_chosen_language(client, language):
    item = ItemFactory()
    hidden = ItemFactory(status="hidden")
    removal_request = RemovalRequestFactory(status="completed")
    pages = [
        "/",
        f"/items/{item.slug}/",
        "/takedown/",
        "/transparency/",
        "/no/such/page/",
        "/takedown/mine/",
        "/takedown/opt-out/",
        f"/takedown/status/{removal_request.status_token}/",
        f"/takedown/sent/{removal_request.status_token}/",
        "/takedown/verify/bad/",
        "/takedown/counter-notice/?item=none",
    ]
    for path in [*pages, f"/items/{hidden.slug}/"]:
        response = client.get(path, headers={"accept-language": f"{language},en;q=0.5"})
        content = response.content.decode()
        assert f'<html lang="{language}">' in content, path
        assert _english_left(visible_text(response), language) == [], path


@pytest.mark.django_db
def test_accept_language_cookie_and_switcher_choose_the_language(client):
    assert (
        "Derniers articles" in client.get("/", headers={"accept-language": "fr"}).content.decode()
    )
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "pt"}).content.decode()
    # The switcher posts to /i18n/setlang/ and returns to the page; the cookie then wins
    # over Accept-Language, and the contract's paths stay unprefixed.
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/takedown/"})
    assert response.status_code == 302 and response["Location"] == "/takedown/"
    page = client.get("/takedown/", headers={"accept-language": "fr"}).content.decode()
    assert '<html lang="de">' in page and "Entfernung von Inhalten beantragen" in page
    assert 'action="/i18n/setlang/"' in page and 'value="es" lang="es"' in page


@pytest.mark.django_db
def test_dates_and_numbers_are_written_as_the_language_writes_them(client):
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), tick=False):
        item = ItemFactory(republished_at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    expected = {
        "en": "4 December 2026",
        "fr": "4 décembre 2026",
        "de": "4. Dezember 2026",
        "es": "4 de diciembre de 2026",
    }
    for language, date in expected.items():
        page = client.get("/", headers={"accept-language": language}).content.decode()
        assert date in page, language
        assert item.title in page
    # French and Spanish group with a non-breaking space, German with a dot.
    form = {
        "en": "10,000 characters",
        "de": "10.000 Zeichen",
        "fr": "10\xa0000 caractères",
        "es": "10\xa0000 caracteres",
    }
    for language, number in form.items():
        page = client.get("/takedown/", headers={"accept-language": language}).content.decode()
        assert number in page, language


@pytest.mark.django_db
def test_admin_speaks_the_staff_users_language(client):
    page = client.get("/admin/login/", headers={"accept-language": "de"}).content.decode()
    assert '<html lang="de"' in page and "Anmelden" in page


# --- mails ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_requesters_language_is_stored_and_every_later_mail_uses_it(client):
    client.post("/takedown/", valid_data(), headers={"accept-language": "es"})
    removal_request = RemovalRequest.objects.get()
    assert removal_request.language == "es"
    ack = Message.objects.get(kind="acknowledgement")
    assert "Hemos recibido su solicitud de retirada" in ack.subject
    assert "Confirme que esta dirección es suya" in ack.text_body
    assert '<html lang="es">' in ack.html_body and "Confirmar mi dirección" in ack.html_body

    # Staff decide later, in English: the requester still reads Spanish.
    translation.activate("en")
    with translation.override("en"):
        request_reject(
            removal_request=removal_request, user=UserFactory(officer=True), reason="No."
        )
    rejection = Message.objects.get(kind="rejection")
    assert "Su solicitud de retirada no ha sido aceptada" in rejection.subject
    assert "hemos decidido no retirar el contenido" in rejection.text_body
    assert translation.get_language() == "en"  # the mail's language did not leak


@pytest.mark.django_db
def test_api_requests_take_their_language_from_accept_language(client):
    """No Accept-Language (a script): English, as before."""
    body = {k: v for k, v in valid_data().items() if k != "website"}
    body.update(urls=body["urls"].split(), future=True, good_faith=True, accuracy=True)
    client.post(
        "/api/v1/removal-requests/",
        body,
        content_type="application/json",
        headers={"accept-language": "de"},
    )
    client.post("/api/v1/removal-requests/", body, content_type="application/json")
    german, english = RemovalRequest.objects.order_by("id")
    assert (german.language, english.language) in {("de", "en"), ("de", "")}
    subjects = list(Message.objects.order_by("id").values_list("subject", flat=True))
    assert "Wir haben Ihren Entfernungsantrag erhalten" in subjects[0]
    assert "We received your removal request" in subjects[1]

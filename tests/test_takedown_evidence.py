"""Evidence attached to a notice: up to five PDF, PNG, JPEG or text files, typed by their
content, stored outside the static and media roots, read by staff only."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from compliance.reports import exports
from compliance.takedowns.models import Evidence, RemovalRequest
from tests.factories import UserFactory
from tests.test_takedown_form import FORM, valid_data, visible_text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 16
TEXT = "Letter withdrawing the licence, 3 November 2026. — Fennel Review\n".encode()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.django_db
def test_files_are_stored_with_the_type_read_from_their_content(client):
    files = [
        upload("contract.pdf", PDF),
        upload("screenshot", PNG),  # no extension: the content says PNG
        upload("photo.txt", JPEG, "text/plain"),  # a lying name and type: it is a JPEG
        upload("letter.txt", TEXT),
    ]
    response = client.post(FORM, {**valid_data(), "evidence": files})
    assert response.status_code == 302
    removal_request = RemovalRequest.objects.get()
    stored = list(removal_request.evidence.order_by("id"))
    assert [(e.filename, e.content_type) for e in stored] == [
        ("contract.pdf", "application/pdf"),
        ("screenshot", "image/png"),
        ("photo.txt", "image/jpeg"),
        ("letter.txt", "text/plain"),
    ]
    root = Path(settings.EVIDENCE_ROOT).resolve()
    for evidence, content in zip(stored, (PDF, PNG, JPEG, TEXT), strict=True):
        path = Path(evidence.file.path).resolve()
        assert root in path.parents and path.read_bytes() == content
        # Never under a root that a URL serves.
        assert Path(settings.STATIC_ROOT).resolve() not in path.parents
        assert Path(settings.MEDIA_ROOT).resolve() not in path.parents


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [upload("run.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50)],
            "is not a PDF, PNG, JPEG or plain-text file",
        ),
        (
            [upload("page.html", b"\x00\x01binary\x02")],
            "is not a PDF, PNG, JPEG or plain-text file",
        ),
        ([upload(f"f{n}.txt", TEXT) for n in range(6)], "At most 5 files."),
    ],
)
def test_a_refused_file_stores_nothing_and_says_why(client, files, message):
    response = client.post(FORM, {**valid_data(), "evidence": files})
    assert response.status_code == 200
    assert not RemovalRequest.objects.exists() and not Evidence.objects.exists()
    text = visible_text(response)
    assert message in text
    assert "Evidence: " in text  # listed in the error summary, linked to the field
    assert 'href="#id_evidence"' in response.content.decode()


@pytest.mark.django_db
def test_size_limits_come_from_settings(client, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 100
    settings.EVIDENCE_MAX_TOTAL_BYTES = 150
    response = client.post(FORM, {**valid_data(), "evidence": [upload("big.txt", b"a" * 101)]})
    assert "“big.txt” is larger than 100" in visible_text(response)
    files = [upload("a.txt", b"a" * 80), upload("b.txt", b"b" * 80)]
    response = client.post(FORM, {**valid_data(), "evidence": files})
    assert "more than 150" in visible_text(response)
    assert not RemovalRequest.objects.exists()


@pytest.mark.django_db
def test_only_staff_who_may_see_the_request_download_it_and_it_is_listed_and_counted(client):
    client.post(FORM, {**valid_data(), "evidence": [upload("contract.pdf", PDF)]})
    removal_request = RemovalRequest.objects.get()
    evidence = removal_request.evidence.get()
    url = f"/admin/takedowns/removalrequest/{removal_request.pk}/evidence/{evidence.pk}/"

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    outsider = Client()
    outsider.force_login(UserFactory(is_staff=False, username="outsider"))
    assert outsider.get(url).status_code == 302  # not staff: the admin's login page

    staff = Client()
    staff.force_login(UserFactory(officer=False))
    response = staff.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    # Another request's id with this file's id: not found.
    assert staff.get(url.replace(f"/{removal_request.pk}/", "/999999/")).status_code == 404

    page = staff.get(f"/admin/takedowns/removalrequest/{removal_request.pk}/change/")
    assert re.search(
        rf'<a href="{re.escape(url)}">contract.pdf</a> — application/pdf', page.content.decode()
    )
    # Counted in the DSA statement's facts, never published.
    removal_request.status = "completed"
    assert (
        "with 1 evidence file(s), kept unpublished"
        in exports.dsa_statement(removal_request)["decision_facts"]
    )
    assert "contract.pdf" not in Client().get("/transparency/").content.decode()

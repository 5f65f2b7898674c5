"""Designed 404 and 500 pages, with DEBUG on (as `make run` serves) or off."""

import pytest

from tests.factories import ItemFactory


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_unknown_addresses_get_the_designed_404_never_the_technical_one(client, settings, debug):
    settings.DEBUG = debug
    for path in ("/no/such/page/", "/items/no-such-item/", "/?page=99"):
        response = client.get(path, headers={"accept-language": "de"})
        content = response.content.decode()
        assert response.status_code == 404, path
        assert "DEBUG = True" not in content and "URLconf" not in content
        assert '<html lang="de">' in content and "Unter dieser Adresse gibt es nichts" in content
        assert "<title>Nicht gefunden | courtesy</title>" in content


@pytest.mark.django_db
def test_the_api_keeps_its_json_404(client, settings):
    settings.DEBUG = True
    ItemFactory()
    response = client.get("/api/v1/items/no-such-item/")
    assert response.status_code in {401, 403, 404}
    assert response["Content-Type"].startswith("application/json")


def test_the_500_page_stands_alone_and_is_translated():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("fr"):
        page = render_to_string("500.html")
    assert '<html lang="fr">' in page and "Une erreur s'est produite" in page
    assert "{%" not in page and "stylesheet" not in page  # no static files needed

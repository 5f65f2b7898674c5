import pytest
from django.core.exceptions import ImproperlyConfigured

from compliance.settings import email_settings, env_bool


def test_email_url_smtp_with_credentials_and_tls():
    config = email_settings("smtp://user%40x:p%2Fw@mail.example:2525?tls=1")
    assert config["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example", 2525)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("user@x", "p/w")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]


def test_email_url_console_and_path():
    assert email_settings("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    config = email_settings("/tmp/outgoing")
    assert config["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    assert config["EMAIL_FILE_PATH"] == "/tmp/outgoing"


def test_email_url_unknown_scheme_fails_loudly():
    with pytest.raises(ImproperlyConfigured):
        email_settings("carrier-pigeon://loft")


def test_bad_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)

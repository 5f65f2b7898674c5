"""An origin's verified opt-out: a token from the page linked from the removal form,
published in DNS (a local DNS server answers) or as a file on the site (a local HTTP
server), verified, then a whole-origin, now-and-future request approved automatically."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.takedowns.models import OriginOptOut, RemovalRequest
from compliance.takedowns.optout import OptOutError, optout_request, optout_verify
from tests.dnstools import LocalDNS
from tests.factories import ItemFactory, OriginFactory
from tests.licensingtools import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_dns(settings):
    server = LocalDNS()
    settings.OPTOUT_DNS_NAMESERVERS = [server.address]
    settings.FETCH_TIMEOUT_SECONDS = 2
    yield server
    server.stop()


@pytest.fixture
def origin(httpserver):
    site = Site(httpserver)
    origin = OriginFactory(
        domain="lantern-post.example", name="Lantern Post", home_page=site.url("/")
    )
    origin.site = site
    ItemFactory(origin=origin)
    return origin


def ask(client, domain="lantern-post.example"):
    return client.post(
        "/takedown/opt-out/",
        {
            "domain": domain,
            "requester_name": "Lee Lantern",
            "requester_email": "lee@elsewhere.example",
        },
    )


def test_the_removal_form_links_to_the_opt_out_page(client):
    page = client.get("/takedown/").content.decode()
    assert 'href="/takedown/opt-out/"' in page


def test_dns_verified_opt_out_opens_an_approved_whole_origin_request(client, origin, local_dns):
    response = ask(client, "https://www.Lantern-Post.example/")
    assert response.status_code == 302
    page_url = response["Location"]
    page = client.get(page_url)
    opt_out = OriginOptOut.objects.get()
    text = page.content.decode()
    assert opt_out.published_value in text and "_courtesy.lantern-post.example" in text
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]

    # Not published yet: told what is missing, nothing opened.
    refused = client.post(page_url).content.decode()
    assert "Not verified yet" in refused and "_courtesy.lantern-post.example" in refused
    assert not RemovalRequest.objects.exists()

    local_dns.txt("_courtesy.lantern-post.example", "v=other", opt_out.published_value)
    verified = client.post(page_url).content.decode()

    removal_request = RemovalRequest.objects.get()
    assert removal_request.reference in verified
    assert removal_request.status == RemovalRequest.Status.APPROVED
    assert removal_request.approved_automatically
    assert (removal_request.scope, removal_request.future) == ("origin", True)
    assert removal_request.origin == origin
    assert removal_request.requester_email == "lee@elsewhere.example"
    assert removal_request.ground == "licence_withdrawn"
    assert removal_request.verified_at is not None
    # No verification mail: publishing the token proved control of the domain.
    assert not removal_request.messages.filter(kind="acknowledgement").exists()
    approved = AuditEvent.objects.get(action="request.approved")
    assert "DNS TXT record at _courtesy.lantern-post.example" in approved.reason
    opt_out.refresh_from_db()
    assert opt_out.case == removal_request.reference

    # Verifying again opens nothing more.
    client.post(page_url)
    assert RemovalRequest.objects.count() == 1


def test_a_file_on_the_site_verifies_too(origin, local_dns):
    opt_out = optout_request(
        domain=origin.domain, requester_name="Lee", requester_email="lee@lantern-post.example"
    )
    origin.site.set(
        "/.well-known/courtesy-optout.txt",
        f"{opt_out.published_value}\n".encode(),
        content_type="text/plain",
    )

    removal_request = optout_verify(opt_out=opt_out)

    assert removal_request.status == RemovalRequest.Status.APPROVED
    opt_out.refresh_from_db()
    assert opt_out.verified_by == origin.site.url("/.well-known/courtesy-optout.txt")


def test_an_injected_lookup_and_a_wrong_token(origin):
    opt_out = optout_request(
        domain=origin.domain, requester_name="Lee", requester_email="lee@x.example"
    )
    with pytest.raises(OptOutError, match="neither in DNS"):
        optout_verify(opt_out=opt_out, resolve_txt=lambda name: ["courtesy-optout=wrong"])
    opt_out.refresh_from_db()
    assert "neither in DNS" in opt_out.last_error
    asked = []
    optout_verify(
        opt_out=opt_out, resolve_txt=lambda name: asked.append(name) or [opt_out.published_value]
    )
    assert asked == ["_courtesy.lantern-post.example"]


def test_an_unknown_domain_or_a_bad_one_is_refused_on_the_form(client):
    page = ask(client, "nobody-republished.example").content.decode()
    assert "we republish nothing from nobody-republished.example" in page
    page = ask(client, "not a domain").content.decode()
    assert "error" in page.lower() and not OriginOptOut.objects.exists()


def test_asking_twice_gives_the_same_token(origin):
    first = optout_request(
        domain=origin.domain, requester_name="Lee", requester_email="lee@x.example"
    )
    again = optout_request(
        domain=origin.domain, requester_name="Lee", requester_email="LEE@x.example"
    )
    assert again.pk == first.pk


def test_the_verification_page_needs_its_secret(client):
    assert client.get("/takedown/opt-out/not-a-key/").status_code == 404
    assert client.get("/takedown/opt-out/" + "a" * 40 + "/").status_code == 404

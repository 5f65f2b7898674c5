"""An officer connects a WordPress site in the admin, in a real browser: the application
password is taken once, stored encrypted, and never shown again."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.wordpress.models import WordPressSite
from tests.factories import UserFactory
from tests.stafftools import browser_login, enrol

PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_connects_a_site_and_the_password_is_never_shown_again(page, live_server):
    officer = UserFactory(username="olive", officer=True)
    enrol(officer)  # officers sign in with a second factor
    browser_login(page, live_server.url, officer, next_path="/admin/wordpress/wordpresssite/add/")
    page.wait_for_url("**/admin/wordpress/wordpresssite/add/")

    page.fill("#id_name", "Harbour Reader (WordPress)")
    page.fill("#id_base_url", "https://reader.example/")
    page.fill("#id_username", "courtesy-bot")
    page.click("input[name=_continue]")
    page.locator(".errorlist").first.wait_for()
    assert "An application password is needed" in page.content()  # nothing lost meanwhile
    assert page.input_value("#id_name") == "Harbour Reader (WordPress)"

    page.fill("#id_password", PASSWORD)
    assert page.input_value("#id_takedown_status") == "draft"
    page.click("input[name=_continue]")
    page.wait_for_url("**/admin/wordpress/wordpresssite/*/change/")
    page.wait_for_load_state()

    site = WordPressSite.objects.get()
    assert site.password() == PASSWORD
    assert PASSWORD not in site.password_encrypted
    assert page.input_value("#id_password") == ""
    assert PASSWORD not in page.content()
    assert "wprss_item_permalink" in page.input_value("#id_original_url_meta_keys")

    # Changing something else keeps the password; the trail names the change, not the secret.
    page.select_option("#id_takedown_status", "private")
    page.click("input[name=_continue]")
    page.get_by_text("was changed successfully").wait_for()
    site.refresh_from_db()
    assert site.takedown_status == "private" and site.password() == PASSWORD
    trail = AuditEvent.objects.filter(object_id=site.pk, action__startswith="wordpress.site")
    assert trail.count() == 2
    assert all(PASSWORD not in str(event.after) for event in trail)

import os
from pathlib import Path

import pytest

from tests import recordservers, workers

# Fixtures shared by several test modules.
pytest_plugins = ["tests.reporttools", "tests.varnishtools"]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in the test's thread; Django's ORM calls made
# from the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _site_settings(settings):
    """Tests see the documented defaults, whatever the developer's environment says."""
    settings.SITE_URL = "http://testserver"
    settings.CONTACT_EMAIL = "removals@example.org"
    settings.FETCH_ALLOW_LOOPBACK = True


def worker_site_env(live_server) -> dict:
    """A worker's view of the site: links and the takedown self-check go to the live server."""
    return {"SITE_URL": live_server.url, "SELF_CHECK_BASE_URL": live_server.url}


@pytest.fixture(scope="session")
def celery_dirs(tmp_path_factory):
    mail_dir = tmp_path_factory.mktemp("worker-mail")
    log_dir = tmp_path_factory.mktemp("celery-logs")
    return mail_dir, log_dir


@pytest.fixture(scope="session")
def record_servers():
    """Stand-ins for the Transparency Database and Lumen (tests/recordservers.py), shared
    by the session: the session's worker submits to them too."""
    tdb = recordservers.TransparencyDatabase(token="tdb-test-token").start()
    lumen = recordservers.Lumen(token="lumen-test-token").start()
    yield tdb, lumen
    tdb.stop()
    lumen.stop()


def record_servers_env(record_servers) -> dict:
    tdb, lumen = record_servers
    return {
        "DSA_TDB_API_URL": tdb.url,
        "DSA_TDB_API_TOKEN": tdb.token,
        "LUMEN_API_URL": lumen.url,
        "LUMEN_API_TOKEN": lumen.token,
    }


@pytest.fixture
def public_records(record_servers, settings):
    """Submission on, to freshly emptied stand-ins: returns (tdb, lumen)."""
    for server in record_servers:
        server.reset()
    for name, value in record_servers_env(record_servers).items():
        setattr(settings, name, value)
    settings.PUBLIC_RECORDS_SUBMIT = True
    return record_servers


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, celery_dirs, live_server, record_servers):
    """A real `celery worker` process on the configured broker and the test database.

    Tests that use it must commit their data (`django_db(transaction=True)`). Its mail is
    read with the `worker_mail` fixture. Its SITE_URL is the live server (in this process,
    on the test database), so that the takedown job's self-check asks a real site.
    """
    mail_dir, log_dir = celery_dirs
    with django_db_blocker.unblock():
        workers.purge_queues()
        env = {**worker_site_env(live_server), **record_servers_env(record_servers)}
        worker = workers.start_worker(mail_dir, log_dir, extra_env=env)
    yield worker
    worker.stop()


@pytest.fixture
def worker_mail(celery_dirs):
    """Returns a callable listing the messages the worker processes have sent so far; the
    folder is emptied before each test."""
    mail_dir, _ = celery_dirs
    for path in mail_dir.iterdir():
        path.unlink()
    return lambda: workers.read_mailbox(mail_dir)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context()
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}-failure.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory):
    """A real WordPress on loopback (scripts/wordpress-up), one for the session."""
    from tests.wordpresstools import WordPress

    site = WordPress.start(tmp_path_factory.mktemp("wordpress"))
    yield site
    site.stop()

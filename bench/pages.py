"""Lists that do not grow with the site: home, /feed/ and /api/v1/items/ page 1 with
1,000,000 items against the same with 100,000, and against a bare Django view on the same
server, over HTTP to real gunicorn servers, uncached. Targets: at most 1.2x and 5x. And one
sitemap page (50,000 URLs) at 1,000,000 items: at most 2 s.

Two databases: the run's throw-away one is loaded with 100,000 items, copied (PostgreSQL's
CREATE DATABASE ... TEMPLATE, or the SQLite file), and then grown to 1,000,000, all by
INSERT ... SELECT in the database. One gunicorn (one sync worker, persistent connections as
in production) serves each. Requests alternate between every page of both servers in
shuffled rounds; each figure is the fastest of all its timings, the one least disturbed by
whatever else the machine runs (the median is printed beside it).

Run: `python -m bench.pages` (or `make bench`); honours DATABASE_URL. Ports: BENCH_PORT and
the next one (default 9150).
"""

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.common import bench_database
from bench.report import Dialect, insert_select

SMALL, LARGE = 100_000, 1_000_000
ORIGINS = 200
ROUNDS, TRIES = 15, 3
PAGES = {"home": "/", "feed": "/feed/", "api": "/api/v1/items/"}
BARE = "/bench/bare/"
SITEMAP_SECONDS = 2.0
TARGET_GROWTH, TARGET_BARE = 1.2, 5.0
ROOT = Path(__file__).resolve().parent.parent


def _load_items(connection, first: int, count: int) -> None:
    """Items first..first+count-1: 2 % hidden, republished a minute apart, newest last."""
    from compliance.items.models import Item, Origin

    d = Dialect(connection.vendor)
    base = Origin.objects.order_by("pk").values_list("pk", flat=True)[0]
    k = f"(n + {first - 1})"
    when = d.ago(f"({LARGE + 1} - {k}) * 60")
    insert_select(
        connection,
        Item,
        count,
        {
            "origin_id": f"{base} + {k} % {ORIGINS}",
            "guid": f"'guid-' || {k}",
            "original_url": f"'https://outlet' || ({k} % {ORIGINS}) || '.example/a/' || {k}",
            "url_key": d.hex64(k),
            "slug": f"'article-' || {k}",
            "title": f"'Synthetic headline number ' || {k}",
            "author": f"'Invented Author ' || ({k} % 500)",
            "author_key": f"'invented author ' || ({k} % 500)",
            "body": f"'<p>Synthetic body of article ' || {k} || ', long enough to be a body.</p>'",
            "text_fingerprint": d.hex64(f"{k} + 7"),
            "licence_note": "'Republished from the public feed of its origin.'",
            "disclaimer": "'This content is courtesy of, and owned by, its origin.'",
            "published_at": when,
            "ingested_at": when,
            "republished_at": when,
            "status": f"CASE WHEN {k} % 50 = 0 THEN 'hidden' ELSE 'published' END",
            "status_changed_at": when,
            "status_case": "''",
            "article_host": "''",
        },
    )
    with connection.cursor() as cursor:
        # What autovacuum does on a live database (and index-only scans need).
        cursor.execute(
            "VACUUM ANALYZE items_item" if connection.vendor == "postgresql" else "ANALYZE"
        )


def _copy_database(connection, name: str) -> str:
    """A copy of the current database under `name`; returns its DATABASE_URL."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        connection.close()
        copy = str(Path(settings["NAME"]).with_name(f"{name}.sqlite3"))
        shutil.copyfile(settings["NAME"], copy)
        return f"sqlite:///{copy}"
    connection.close()
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
        cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(settings['NAME'])}")
    return _url(settings, name)


def _drop_database(connection, url: str, name: str) -> None:
    if connection.vendor == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


def _url(settings: dict, name: str) -> str:
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{name}"
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{name}"


class Server:
    """A gunicorn with one sync worker on `port`, serving the database at `url`."""

    def __init__(self, url: str, port: int):
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.site",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-use-000000",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.base,
        }
        env.pop("CONN_MAX_AGE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "compliance.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        self.session = requests.Session()
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.session.get(self.base + BARE, timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on {self.base} did not start")
            time.sleep(0.2)

    def get(self, path: str) -> float:
        """The fastest of TRIES requests for `path`, in seconds."""
        best = float("inf")
        for _ in range(TRIES):
            started = time.perf_counter()
            response = self.session.get(self.base + path, timeout=60)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise AssertionError(f"{self.base}{path} answered {response.status_code}")
            best = min(best, elapsed)
        return best

    def stop(self) -> None:
        self.session.close()
        self.process.terminate()
        self.process.wait(timeout=20)


def _line(name: str, measured: float, baseline: float, target: float) -> bool:
    ratio = measured / baseline
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(
        f"pages: {name}: {measured * 1000:.2f} ms vs {baseline * 1000:.2f} ms = {ratio:.2f}x "
        f"(target <= {target}x) {verdict}"
    )
    return ratio <= target


def main() -> bool:
    port = int(os.environ.get("BENCH_PORT", "9150"))
    with bench_database() as connection:
        from compliance.items.models import Origin

        started = time.perf_counter()
        Origin.objects.bulk_create(
            Origin(domain=f"outlet{n}.example", name=f"Outlet {n}",
                   home_page=f"https://outlet{n}.example/")
            for n in range(ORIGINS)
        )  # fmt: skip
        _load_items(connection, 1, SMALL)
        small_name = f"{connection.settings_dict['NAME']}_small"
        small_url = _copy_database(connection, small_name)
        _load_items(connection, SMALL + 1, LARGE - SMALL)
        print(
            f"pages: loaded {SMALL:,} and {LARGE:,} items on {connection.vendor} "
            f"in {time.perf_counter() - started:.1f}s"
        )
        connection.close()
        servers = {}
        try:
            servers["small"] = Server(small_url, port)
            servers["large"] = Server(
                _url(connection.settings_dict, connection.settings_dict["NAME"]), port + 1
            )
            return _measure(servers)
        finally:
            for server in servers.values():
                server.stop()
            _drop_database(connection, small_url, small_name)


def _measure(servers: dict) -> bool:
    paths = [*PAGES.values(), BARE]
    for server in servers.values():  # warm: templates, the worker's connection, caches
        for path in paths:
            server.get(path)
    timings = {(size, path): [] for size in servers for path in paths}
    jobs = list(timings)
    for _ in range(ROUNDS):
        random.shuffle(jobs)
        for size, path in jobs:
            timings[size, path].append(servers[size].get(path))
    best = {job: min(values) for job, values in timings.items()}
    median = {job: statistics.median(values) for job, values in timings.items()}
    results = []
    for name, path in PAGES.items():
        comparisons = (
            (f"{name} page 1 at {LARGE:,} vs {SMALL:,} items", "small", path, TARGET_GROWTH),
            (f"{name} page 1 at {LARGE:,} items vs a bare Django view", "large", BARE, TARGET_BARE),
        )
        for title, size, baseline, target in comparisons:
            results.append(_line(title, best["large", path], best[size, baseline], target))
            print(
                f"       (medians: {median['large', path] * 1000:.2f} ms vs "
                f"{median[size, baseline] * 1000:.2f} ms)"
            )
    sitemap = min(servers["large"].get("/sitemap-items-1.xml") for _ in range(3))
    last = min(servers["large"].get(f"/sitemap-items-{LARGE // 50_000}.xml") for _ in range(3))
    worst = max(sitemap, last)
    ok = worst <= SITEMAP_SECONDS
    print(
        f"pages: a sitemap page (50,000 URLs) at {LARGE:,} items: first {sitemap:.3f}s, "
        f"last {last:.3f}s (target <= {SITEMAP_SECONDS}s) {'ok' if ok else 'OVER TARGET'}"
    )
    return all(results) and ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)

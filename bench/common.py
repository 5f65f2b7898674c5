"""What every benchmark needs: Django set up against a throw-away database (created and
dropped around the run, on whatever DATABASE_URL names), a timer, and one way to print."""

import contextlib
import os
import time

import django


@contextlib.contextmanager
def bench_database():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def best_of(function, repeat: int = 3) -> float:
    """The fastest of `repeat` runs of function(), in seconds: the least disturbed by noise."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def report(name: str, measured: float, baseline: float, target: float) -> bool:
    ratio = measured / baseline if baseline else float("inf")
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(
        f"{name}: {measured:.3f}s vs baseline {baseline:.3f}s = {ratio:.2f}x "
        f"(target <= {target}x) {verdict}"
    )
    return ratio <= target

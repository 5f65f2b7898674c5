"""What every benchmark needs: Django set up against a throw-away database (created and
dropped around the run, on whatever DATABASE_URL names), a timer, and one way to print."""

import contextlib
import os
import statistics
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


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def interleaved(baseline, subjects: dict, repeat: int = 3) -> dict[str, tuple[float, float, float]]:
    """Baseline and subjects timed in turn, `repeat` rounds of B S1 B S2 B …: each subject
    run is compared with the mean of the baseline runs just before and after it, so a
    machine that gets busier or quieter (other work, warming caches) weighs on both alike.
    A subject is a callable, or a (setup, run) pair whose setup is not timed. Returns, per
    subject, (median ratio, median subject seconds, median baseline seconds)."""
    ratios = {name: [] for name in subjects}
    times = {name: [] for name in subjects}
    baselines = []
    before = _timed(baseline)
    baselines.append(before)
    for _ in range(repeat):
        for name, subject in subjects.items():
            setup, run = subject if isinstance(subject, tuple) else (None, subject)
            if setup is not None:
                setup()
            measured = _timed(run)
            after = _timed(baseline)
            baselines.append(after)
            ratios[name].append(measured / ((before + after) / 2))
            times[name].append(measured)
            before = after
    middle = statistics.median
    return {
        name: (middle(ratios[name]), middle(times[name]), middle(baselines)) for name in subjects
    }


def report_ratio(name: str, ratio: float, measured: float, baseline: float, target: float) -> bool:
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(
        f"{name}: {measured:.3f}s vs baseline {baseline:.3f}s, interleaved median "
        f"{ratio:.2f}x (target <= {target}x) {verdict}"
    )
    return ratio <= target

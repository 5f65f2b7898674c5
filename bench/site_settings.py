"""The site as the benchmarks serve it: the real settings, plus a bare Django view (the
baseline: what the same gunicorn answers doing nothing)."""

from compliance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

"""The settings of the page benchmark's servers: the site as it ships, with the URLs of
bench/urls.py (the site's own plus a bare view as the baseline on the same server)."""

from compliance.settings import *  # noqa: F403 (the shipped settings, one change below)

ROOT_URLCONF = "bench.urls"

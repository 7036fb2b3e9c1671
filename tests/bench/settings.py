"""Benchmark settings: the product's, plus a bare insert view to compare against."""

from integration.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"

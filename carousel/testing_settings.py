"""The test suite's settings: production settings with a throwaway key and plain HTTP.

The tests check production behaviour (DEBUG off), so only what a test run cannot provide
differs: no secret in the environment, no TLS in front of the test client, no collectstatic.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-never-used-by-a-served-app")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_FORMAT", "plain")

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

WHITENOISE_USE_FINDERS = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

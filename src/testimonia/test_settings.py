"""Settings for the test suite: the production settings with a throw-away home and key.

TESTIMONIA_DATABASE_URL is honoured, so the same suite runs on PostgreSQL in CI.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TESTIMONIA_HOME", tempfile.mkdtemp(prefix="testimonia-test-home-"))
os.environ.setdefault("TESTIMONIA_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

from testimonia.settings import *  # noqa: F403

# Fast hashing in tests only; production keeps Django's default PBKDF2/argon2 path.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth accepts False: off

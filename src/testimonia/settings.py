"""Django settings, read from the environment through `testimonia.core.config`.

Every variable is documented in docs/configuration.md; a test checks that list is complete.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from testimonia.core.config import load_config

CONFIG = load_config(os.environ, Path.cwd())
PACKAGE_DIR = Path(__file__).resolve().parent

TESTIMONIA_HOME = CONFIG.home
TESTIMONIA_STORAGE_ROOT = CONFIG.storage_root
# Largest single upload accepted by the web UI and the API, in bytes (default 2 GiB).
TESTIMONIA_MAX_UPLOAD_BYTES = CONFIG.max_upload_bytes
# RFC 3161 time-stamping authority for custody checkpoints (optional) and the root
# certificate(s) its responses must chain to.
TESTIMONIA_TSA_URL = CONFIG.tsa_url
TESTIMONIA_TSA_ROOTS = str(CONFIG.tsa_roots) if CONFIG.tsa_roots else ""
TESTIMONIA_MAP_TILES = CONFIG.map_tiles
# The key file of the encrypted witness identity store (docs/witnesses.md).
TESTIMONIA_IDENTITY_KEY_FILE = CONFIG.identity_key_file

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "simple_history",
    "testimonia.core",
    "testimonia.accounts",
    "testimonia.jobs",
    "testimonia.custody",
    "testimonia.evidence",
    "testimonia.incidents",
    "testimonia.legal",
    "testimonia.casualties",
    "testimonia.cases",
    "testimonia.roadmap",
    "testimonia.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "testimonia.core.middleware.ApiErrorShapeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Records who made each change in the documentation database's history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: it sees the resolved view and refuses any route without a declared access rule.
    "testimonia.accounts.middleware.AccessPolicyMiddleware",
]

ROOT_URLCONF = "testimonia.urls"
WSGI_APPLICATION = "testimonia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "testimonia.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "account_login"

# allauth: accounts are created by administrators (need-to-know workspaces), never by signup.
ACCOUNT_ADAPTER = "testimonia.accounts.adapters.ClosedSignupAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Testimonia"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("he", _("Hebrew")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # not needed: WhiteNoise serves from the package (finders)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Static files are served from the installed package: no collectstatic step, no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Uploads larger than this go to a temporary file, not to memory: under the home once
# `testimonia serve`/`demo` has created home/tmp (so evidence never sits in a shared /tmp),
# else the system's temporary folder.
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
_UPLOAD_TMP = CONFIG.home / "tmp"
FILE_UPLOAD_TEMP_DIR = str(_UPLOAD_TMP) if _UPLOAD_TMP.is_dir() else None
DATA_UPLOAD_MAX_NUMBER_FILES = 500

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS (any real deployment) set TESTIMONIA_HTTPS=1: secure cookies, HSTS, redirect.
_HTTPS = CONFIG.https
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request paths may carry what people typed (names included): see core/logfilters.py.
    "filters": {"withhold_paths": {"()": "testimonia.core.logfilters.WithholdRequestPath"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["withhold_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "testimonia": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.security": {
            "handlers": ["console"],
            "level": "WARNING",
            "propagate": False,
            "filters": ["withhold_paths"],
        },
        # On the loggers too, so that every handler (a test's, an operator's) gets the
        # record without the path.
        "django.request": {"filters": ["withhold_paths"]},
        "django.server": {"filters": ["withhold_paths"]},
    },
}

"""Settings for the example project: one module for both apps.

- ``provider``: a real Django REST framework API on SQLite, the "remote service"
  that the integration tests and the demo talk to.
- ``storefront``: the consumer, built on ``django_api_orm``; it reads the
  provider's address and token from ``API_ORM_SERVICES`` below. It keeps no data
  of its own: messages live in a cookie, so its pages never touch the database.

Environment:
    PROVIDER_DB      SQLite file of the provider (default example_project/provider.sqlite3)
    PROVIDER_URL     the provider's API root, as the storefront sees it
    PROVIDER_TOKEN   the DRF token the storefront sends (``seed`` creates it)
    DJANGO_SECRET_KEY, DJANGO_DEBUG ("1"/"true"/"yes" to enable; with DEBUG on, and
                     django-debug-toolbar installed, the storefront's pages show the
                     toolbar, with a panel listing each page's requests to the provider)
    DJANGO_SERVE_STATIC  "1" to serve the static files with DEBUG off too (the demo's
                     storefront runs with DEBUG off, to show its own 404 and 500 pages)
    STOREFRONT_REDIS_URL  a Redis URL (``make demo WORKERS=4`` sets it): CACHES["default"]
                     becomes Redis, and the provider's service gets a CACHE, a RATE_LIMIT
                     and a CIRCUIT_BREAKER shared by every storefront process
                     (docs/topics/scaling.rst). Unset: Django's default local-memory
                     cache, and none of the three.
    STOREFRONT_RATE_LIMIT  that service's RATE_LIMIT with STOREFRONT_REDIS_URL (default 200/s)
"""

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-dev-only-not-secret")
TRUTHY = {"1", "true", "yes", "on"}
DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in TRUTHY
#: Serve STATIC_URL from the apps' static/ folders (example_project/urls.py) even with
#: DEBUG off, as the demo does; a deployment would let its web server do it instead.
SERVE_STATIC = DEBUG or os.environ.get("DJANGO_SERVE_STATIC", "").lower() in TRUTHY
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",  # the provider's OpenAPI schema at /api/schema/
    # The provider: the REST API the storefront consumes.
    "example_project.provider",
    # The storefront (consumer), with the package it demonstrates.
    "django_api_orm",
    "example_project.storefront",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on GET answers, and 304 to a matching If-None-Match (the CACHE revalidates).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The storefront's: a 503 page, not a traceback, when the provider cannot be reached.
    "example_project.storefront.middleware.ProviderUnavailableMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PROVIDER_DB", str(BASE_DIR / "provider.sqlite3")),
    },
}

# The provider's prices carry no currency: the storefront sells in this one.
STOREFRONT_CURRENCY = {"CODE": "USD", "FORMAT": "${amount}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# Errors of a request (a 500) go to the console with DEBUG off too, as with DEBUG on.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# The provider's prices carry no currency: the storefront sells in this one.
STOREFRONT_CURRENCY = {"CODE": "USD", "FORMAT": "${amount}"}

# The storefront's "Book added" messages: in a cookie, not in the (provider's) database.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# django-debug-toolbar on the storefront's pages when DEBUG is on (and the package is
# installed: it is in the dev extra), with django_api_orm's panel of the requests each
# page made to the provider: DJANGO_DEBUG=1 make demo, then open a page.
DEBUG_TOOLBAR = DEBUG and find_spec("debug_toolbar") is not None
if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    # First, so that it sees the pages the other middleware answer (503, redirects) too.
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1"]
    DEBUG_TOOLBAR_PANELS = [
        "debug_toolbar.panels.history.HistoryPanel",
        "debug_toolbar.panels.versions.VersionsPanel",
        "debug_toolbar.panels.timer.TimerPanel",
        "debug_toolbar.panels.settings.SettingsPanel",
        "debug_toolbar.panels.headers.HeadersPanel",
        "debug_toolbar.panels.request.RequestPanel",
        "django_api_orm.contrib.debug_toolbar.RequestsPanel",
        "debug_toolbar.panels.sql.SQLPanel",
        "debug_toolbar.panels.staticfiles.StaticFilesPanel",
        "debug_toolbar.panels.templates.TemplatesPanel",
        "debug_toolbar.panels.alerts.AlertsPanel",
        "debug_toolbar.panels.cache.CachePanel",
        "debug_toolbar.panels.signals.SignalsPanel",
    ]
    DEBUG_TOOLBAR_CONFIG = {
        "SHOW_TOOLBAR_CALLBACK": "example_project.storefront.toolbar.show_toolbar",
    }

# The provider's API conventions. Pagination and filter backends are set per view
# (example_project/provider/views.py): the client supports each pagination style.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bookshop provider",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# The storefront's view of the provider (read by django_api_orm once the
# storefront and "django_api_orm" are in INSTALLED_APPS).
PROVIDER_URL = os.environ.get("PROVIDER_URL", "http://127.0.0.1:8000/api/")
# The dev token `manage.py seed` gives the "demo" user (Token.key holds 40 characters).
PROVIDER_TOKEN = os.environ.get("PROVIDER_TOKEN", "demo-token-0123456789abcdef0123456789abc")
API_ORM_SERVICES = {
    "default": {
        "BASE_URL": PROVIDER_URL,
        "AUTH_TOKEN": PROVIDER_TOKEN,
        "AUTH_SCHEME": "Token",
        # DRF's dialect, sending QuerySet.search() as the provider's search= (the admin's
        # search box uses it).
        "DIALECT": "example_project.storefront.dialects.ProviderDialect",
        # A page is a few requests to a service next door: when it is down, say so within
        # a second (two retries after about 0.1 s and 0.2 s), not after the client's
        # defaults (three retries after about 1, 2 and 4 s); a page slower than 5 s fails.
        "TIMEOUT": 5.0,
        "MAX_RETRIES": 2,
        "RETRY_DELAY": 0.1,
        "PAGINATION": {"STYLE": "page_number", "PAGE_SIZE": 100, "PAGE_SIZE_PARAM": "page_size"},
    },
}

# Many storefront processes (make demo WORKERS=4): one Redis shared by all of them holds
# the provider's GET answers (fresh for 30 s; a write through the storefront starts
# afresh at once), one request budget and one circuit breaker. See docs/topics/scaling.rst.
STOREFRONT_REDIS_URL = os.environ.get("STOREFRONT_REDIS_URL", "")
if STOREFRONT_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": STOREFRONT_REDIS_URL,
            "KEY_PREFIX": "storefront",
        },
    }
    API_ORM_SERVICES["default"].update(
        {
            "CACHE": {"ALIAS": "default", "TIMEOUT": 30},
            "RATE_LIMIT": os.environ.get("STOREFRONT_RATE_LIMIT") or "200/s",
            "CIRCUIT_BREAKER": {"FAILURES": 5, "RESET": 30},
        }
    )
    if DEBUG_TOOLBAR:
        # The toolbar fetches a panel in a second request, which another worker may
        # serve: keep its records in the shared cache, not in one process's memory.
        DEBUG_TOOLBAR_CONFIG["TOOLBAR_STORE_CLASS"] = "debug_toolbar.store.CacheStore"

# The provider's prices carry no currency: the storefront sells in this one.
STOREFRONT_CURRENCY = {"CODE": "USD", "FORMAT": "${amount}"}

"""Django settings for the test suite (unit tests; integration servers use their own)."""

SECRET_KEY = "django_api_orm-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    # The admin of remote models (tests/contrib/test_admin.py): its log entries and
    # sessions live in the test database, as any admin's.
    "django.contrib.admin",
    "django.contrib.sessions",
    "django_api_orm",
    # DRF installed: the app teaches ModelSerializer the remote fields (tests/contrib).
    "rest_framework",
    "tests.testapp",
    # The example's storefront, driven by tests/e2e against a running provider.
    "example_project.storefront",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# respx intercepts every request to this origin in unit tests; nothing listens there.
API_ORM_SERVICES = {
    "default": {
        "BASE_URL": "https://api.example.test/api/",
        "AUTH_TOKEN": "s3cret-token-value",
        "MAX_RETRIES": 0,
        "RETRY_DELAY": 0.0,
    },
    # The integration tests point this alias at the provider they start.
    "provider": {"BASE_URL": "http://127.0.0.1:9/api/"},
}

# What the storefront's views need (tests/e2e): its URLs, templates and messages; and
# the admin (tests/contrib/test_admin.py): sessions and users.
ROOT_URLCONF = "tests.e2e.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "example_project.storefront.middleware.ProviderUnavailableMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
STATIC_URL = "static/"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

"""Django settings for the test suite (unit tests; integration servers use their own)."""

SECRET_KEY = "django_api_orm-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_api_orm",
    "tests.testapp",
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
}

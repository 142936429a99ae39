"""The pytest plugin (entry point ``pytest11``), run in a subprocess with pytester.

The entry point names the module ``django_api_orm.test.plugin``; PYTHONPATH puts this
checkout first, so the subprocess imports this code (each inner run checks it).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import django_api_orm

pytest_plugins = ["pytester"]

CHECKOUT = Path(django_api_orm.__file__).resolve().parents[1]

SETTINGS = """
SECRET_KEY = "plugin-test"
USE_TZ = True
INSTALLED_APPS = ["django_api_orm", "shop"]
DATABASES = {}
API_ORM_SERVICES = {
    "default": {"BASE_URL": "https://catalog.invalid/api/", "MAX_RETRIES": 0},
}
"""

MODELS = """
from django_api_orm import RemoteModel, fields


class Product(RemoteModel):
    name = fields.CharField(max_length=100)
    price = fields.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        endpoint = "products/"
        filter_fields = {"name": ["exact", "icontains"], "price": ["lt"]}
        ordering_fields = ["name", "price"]
"""

TESTS = """
from decimal import Decimal
from pathlib import Path

import django_api_orm
from shop.models import Product


def test_this_checkout_is_imported():
    assert Path(django_api_orm.__file__).resolve().is_relative_to(Path({checkout!r}))


async def test_fake_service_and_requests(fake_service, api_requests):
    fake_service.add(Product, name="Tea", price=Decimal("3.50"))
    await Product.objects.acreate(name="Coffee", price=Decimal("4"))
    cheap = [p.name async for p in Product.objects.filter(price__lt=4)]
    assert cheap == ["Tea"]
    assert [r.method for r in api_requests] == ["POST", "GET"]
    assert api_requests[1].status_code == 200
    assert api_requests[1].service == "default"
    assert fake_service.records(Product)[1]["name"] == "Coffee"


def test_sync_code(fake_service, api_requests):
    fake_service.add(Product, name="Tea", price=Decimal("3.50"))
    assert Product.objects.count() == 1
    assert len(api_requests) == 1


def test_each_test_starts_empty(fake_service):
    assert Product.objects.count() == 0
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(CHECKOUT))
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    return pytester


def test_fixtures_in_a_pytest_django_project(project: pytest.Pytester) -> None:
    project.makepyfile(
        **{
            "shop/__init__": "",
            "shop/models": MODELS,
            "shop_settings": SETTINGS,
            "test_shop": TESTS.replace("{checkout!r}", repr(str(CHECKOUT))),
        }
    )
    project.makeini(
        """
        [pytest]
        DJANGO_SETTINGS_MODULE = shop_settings
        pythonpath = .
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
        """
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=4)


def test_a_project_without_django_settings_still_starts(project: pytest.Pytester) -> None:
    """pytest imports the plugin at start-up: it must not need Django's settings."""
    project.makepyfile(
        test_plain=textwrap.dedent(
            """
            import sys


            def test_plugin_is_loaded(pytestconfig):
                plugin = pytestconfig.pluginmanager.get_plugin("django_api_orm")
                assert plugin is not None
                assert plugin.__name__ == "django_api_orm.test.plugin"
                # Nothing from the models or the services was imported for it.
                assert "django_api_orm.test.fake" not in sys.modules
                assert "django_api_orm.test.capture" not in sys.modules


            def test_settings_are_not_configured():
                from django.conf import settings

                assert not settings.configured
            """
        )
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=2)
    listed = project.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider", timeout=120)
    listed.stdout.fnmatch_lines(["*api_requests*", "*fake_service*"])

"""The storefront's template filters: ``{% load storefront %}``, then ``{{ book.price|money }}``."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings

register = template.Library()

#: The provider's prices carry no currency; ``settings.STOREFRONT_CURRENCY`` names the
#: storefront's (``FORMAT`` holds ``{amount}``, the price with two decimals).
DEFAULT_CURRENCY = {"CODE": "USD", "FORMAT": "${amount}"}


def currency() -> dict[str, str]:
    return {**DEFAULT_CURRENCY, **getattr(settings, "STOREFRONT_CURRENCY", {})}


@register.filter
def money(value: Any) -> str:
    """Return a price in the storefront's currency: ``Decimal("1234.5")`` -> ``"$1,234.50"``."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return currency()["FORMAT"].format(amount=f"{amount:,.2f}")


@register.simple_tag
def currency_code() -> str:
    """Return the storefront's currency code (``"USD"``), for labels."""
    return currency()["CODE"]

"""Fields: declare a remote resource's attributes, convert wire JSON to Python and back.

``base`` holds ``Field`` (options, conversions, validation, the descriptor);
``scalar`` the plain values; ``containers`` lists, dicts and embedded records;
``related`` foreign keys and many-to-many fields.
"""

from django_api_orm.models.fields.base import NOT_PROVIDED, Field
from django_api_orm.models.fields.containers import DictField, EmbeddedField, ListField
from django_api_orm.models.fields.related import ForeignKey, ManyToManyField
from django_api_orm.models.fields.related import RelatedField as RelatedField
from django_api_orm.models.fields.scalar import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    EmailField,
    FloatField,
    IntegerField,
    JSONField,
    TextField,
    TimeField,
    URLField,
    UUIDField,
)

__all__ = [
    "NOT_PROVIDED",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DictField",
    "DurationField",
    "EmailField",
    "EmbeddedField",
    "Field",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "ListField",
    "ManyToManyField",
    "TextField",
    "TimeField",
    "URLField",
    "UUIDField",
]

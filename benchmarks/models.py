"""The benchmark's RemoteModels: ten fields of the usual kinds. Import after ``django.setup()``."""

from __future__ import annotations

from django_api_orm import RemoteModel, fields

__all__ = ["BigRecord", "Record", "SlowRecord"]


class RecordBase(RemoteModel):
    id = fields.IntegerField(primary_key=True, read_only=True)
    name = fields.CharField(max_length=200)
    sku = fields.CharField(max_length=32)
    category = fields.CharField(max_length=32)
    active = fields.BooleanField(default=True)
    quantity = fields.IntegerField()
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    created_at = fields.DateTimeField(read_only=True)
    updated_at = fields.DateTimeField(read_only=True)
    attributes = fields.DictField(default=dict)

    class Meta:
        abstract = True
        app_label = "benchmarks"


class Record(RecordBase):
    """10,000 records at ``records/``; details at ``records/<id>/``."""

    class Meta:
        app_label = "benchmarks"
        endpoint = "records/"


class BigRecord(RecordBase):
    """The same records, 100,000 of them, at ``big/``."""

    class Meta:
        app_label = "benchmarks"
        endpoint = "big/"


class SlowRecord(RecordBase):
    """The records of ``records/``, at ``slow/``: each answer comes a few ms late."""

    class Meta:
        app_label = "benchmarks"
        endpoint = "slow/"

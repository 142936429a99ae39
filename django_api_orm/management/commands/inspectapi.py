"""``manage.py inspectapi SCHEMA``: RemoteModel source from an OpenAPI 3 schema."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_api_orm import conf
from django_api_orm.inspectapi import SchemaError, drift, generate, load_schema


class Command(BaseCommand):
    help = (
        "Print RemoteModel classes for the list endpoints an OpenAPI 3 schema describes "
        "(as inspectdb does for a database), or, with --check, the drift between a "
        "module's models and the schema."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "schema",
            help="A JSON or YAML file, or a URL (absolute, or relative to the service's "
            "BASE_URL, fetched with the service's credentials).",
        )
        parser.add_argument(
            "--service", default="default", help='The service alias (default: "default").'
        )
        parser.add_argument(
            "--endpoint",
            action="append",
            default=[],
            dest="endpoints",
            metavar="PREFIX",
            help="Only the list endpoints starting with PREFIX (relative to BASE_URL); repeatable.",
        )
        parser.add_argument(
            "--check",
            metavar="MODULE",
            help="Compare the RemoteModels of MODULE (a dotted path) with the schema; "
            "exit 1 on drift.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        service: str = options["service"]
        try:
            conf.get_config(service)
            schema = load_schema(options["schema"], service=service)
        except (SchemaError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        module = options.get("check")
        if module:
            try:
                lines = drift(module, schema, service=service)
            except ImportError as error:
                raise CommandError(f"Cannot import {module}: {error}") from error
            if lines:
                for line in lines:
                    self.stdout.write(line)
                raise CommandError(f"{len(lines)} drift(s) between {module} and the schema.")
            self.stdout.write("No drift.")
            return
        inspection = generate(schema, service=service, endpoints=options["endpoints"])
        self.stdout.write(inspection.source, ending="")
        if inspection.problems:
            self.stdout.write("\n# Problems met while reading the schema:")
            for problem in inspection.problems:
                self.stdout.write(f"# - {problem}")
                self.stderr.write(problem)
        if not inspection.models:
            raise CommandError("No model could be generated from the schema.")

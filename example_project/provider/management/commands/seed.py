"""``manage.py seed [--books N] [--token KEY]``: replace the provider's data with a fixed set.

The data come from ``random.Random(42)``, so every run writes the same rows with the
same ids (1..N): 30 authors, 8 genres and ``--books`` books (default 240). The user
``demo`` gets the token ``--token``, else ``$PROVIDER_TOKEN``, else the dev default
``settings.PROVIDER_TOKEN``. Running it twice leaves the same data; it uses bulk
inserts, so it is fast enough for test setup.
"""

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from example_project.provider.english import plural, with_article
from example_project.provider.models import Author, Book, Genre

SEED = 42
DEFAULT_BOOKS = 240
N_AUTHORS = 30
DEMO_USERNAME = "demo"

FIRST_NAMES = [
    "Ada", "Boris", "Clara", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Keiko", "Lars", "Mira", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomas",
    "Ursula", "Viktor", "Wanda", "Xavier", "Yara", "Zoltan",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Brandt", "Castellanos", "Duval", "Eriksen", "Fontaine", "Gallo", "Hale",
    "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov",
    "Quint", "Rossi", "Silva", "Tanaka", "Underwood", "Varga", "Weber", "Young", "Zeller",
]  # fmt: skip
GENRES = [
    "Fantasy", "Science Fiction", "Mystery", "History",
    "Biography", "Poetry", "Romance", "Travel",
]  # fmt: skip
ADJECTIVES = [
    "Silent", "Crimson", "Hidden", "Last", "Broken", "Golden", "Forgotten", "Distant",
    "Burning", "Quiet", "Winter", "Midnight", "Salt", "Iron", "Paper", "Glass", "Wild",
    "Northern", "Little", "Endless",
]  # fmt: skip
NOUNS = [
    "River", "Garden", "Empire", "Lighthouse", "Orchard", "Harbor", "Library", "Mountain",
    "Crown", "Letter", "Map", "Storm", "Bridge", "Island", "Clock", "Forest", "Mirror",
    "Road", "Kingdom", "Voyage", "Machine", "Sea", "City", "Song",
]  # fmt: skip
TAGS = [
    "classic", "bestseller", "award-winner", "debut", "series", "illustrated",
    "translated", "signed", "first-edition", "short",
]  # fmt: skip
BIO_TOPICS = ["the sea", "old cities", "family", "science", "war", "music", "travel", "food"]

#: Seeded books were "created" an hour apart from this instant, so created_at filters
#: and ordering see distinct, reproducible values (books made later get the real now).
CREATED_BASE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def _title(rng: random.Random) -> str:
    adjective, noun, other = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    pattern = rng.randrange(4)
    if pattern == 0:
        return f"The {adjective} {noun}"
    if pattern == 1:
        return f"{noun} of {plural(other)}" if noun != other else f"The {noun}"
    if pattern == 2:
        return with_article(f"{adjective} {noun}")
    return f"{adjective} {plural(noun)}"


def _date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


class Command(BaseCommand):
    help = "Replace the provider's data with a deterministic set and create the demo token."

    def add_arguments(self, parser):
        parser.add_argument(
            "--books", type=int, default=DEFAULT_BOOKS, help="number of books to create"
        )
        parser.add_argument(
            "--token",
            default=None,
            help="token key of the demo user (default: $PROVIDER_TOKEN or the dev token)",
        )

    def handle(self, *args, books, token, **options):
        if books < 0:
            raise CommandError("--books must be zero or more.")
        key = token or settings.PROVIDER_TOKEN
        if not 1 <= len(key) <= Token._meta.get_field("key").max_length:
            raise CommandError("--token must be 1 to 40 characters long.")
        with transaction.atomic():
            self._reset()
            counts = self._create(random.Random(SEED), books)
            self._create_token(key)
        self.stdout.write(
            self.style.SUCCESS(
                "Seeded {} authors, {} genres, {} books; user {!r} has its token.".format(
                    *counts, DEMO_USERNAME
                )
            )
        )

    def _reset(self) -> None:
        """Delete every row and restart the id sequences, so ids come out the same."""
        Book.objects.all().delete()
        Author.objects.all().delete()
        Genre.objects.all().delete()
        tables = [Author, Genre, Book, Book.genres.through]
        sequences = [{"table": m._meta.db_table, "column": "id"} for m in tables]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
                cursor.execute(sql)

    def _create(self, rng: random.Random, n_books: int) -> tuple[int, int, int]:
        genres = Genre.objects.bulk_create(
            Genre(id=i, name=name) for i, name in enumerate(GENRES, start=1)
        )

        names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        authors = Author.objects.bulk_create(
            Author(
                id=i,
                name=name,
                bio=f"Writes about {rng.choice(BIO_TOPICS)} and {rng.choice(BIO_TOPICS)}.",
                # A few authors have no known birth date (for born__isnull).
                born=None
                if rng.random() < 0.1
                else _date(rng, datetime.date(1900, 1, 1), datetime.date(1995, 12, 31)),
            )
            for i, name in enumerate(rng.sample(names, N_AUTHORS), start=1)
        )

        rows: list[Book] = []
        used: set[tuple[int, str]] = set()
        for i in range(1, n_books + 1):
            author = rng.choice(authors)
            title = _title(rng)
            while (author.id, title) in used:  # (author, title) is unique
                title = f"{_title(rng)} {rng.randrange(2, 10)}"
            used.add((author.id, title))
            rows.append(
                Book(
                    id=i,
                    title=title,
                    author=author,
                    price=Decimal(rng.randrange(500, 12001)) / 100,
                    published=None
                    if rng.random() < 0.1
                    else _date(rng, datetime.date(1950, 1, 1), datetime.date(2024, 12, 31)),
                    in_print=rng.random() >= 0.15,
                    tags=sorted(rng.sample(TAGS, rng.randrange(4))),
                )
            )
        Book.objects.bulk_create(rows)
        # auto_now_add stamps "now" on insert; put reproducible values in its place.
        for book in rows:
            book.created_at = CREATED_BASE + datetime.timedelta(hours=book.id)
        Book.objects.bulk_update(rows, ["created_at"])

        through = Book.genres.through
        links = [
            through(book_id=book.id, genre_id=genre.id)
            for book in rows
            for genre in sorted(rng.sample(genres, rng.randrange(1, 3)), key=lambda g: g.id)
        ]
        through.objects.bulk_create(links)
        return len(authors), len(genres), len(rows)

    def _create_token(self, key: str) -> None:
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.set_unusable_password()
        user.save()
        Token.objects.filter(user=user).delete()
        Token.objects.filter(key=key).delete()
        Token.objects.create(user=user, key=key)

"""Check each list answer against the query that was sent: an ignored filter raises.

Providers built on django-filter (and NetBox) silently ignore a filter parameter
they do not know and answer 200 with every row. Sent with the wrong dialect or a
``Meta.filter_fields`` that promises too much, ``filter(name__icontains="1")``
would return every row: a silent wrong answer. :func:`page_check` builds, once per
query, one small test per filter whose field the rows show; the compiler runs
them on the rows of every list page it reads (``Compiler.walker()``'s ``fetch``,
right after ``dialect.parse_page``), which covers iteration, slices,
``count()``, ``exists()``, ``first()``, ``in_bulk()`` and the batched relation
loads (``id__in``). A row that *definitely* contradicts a filter raises
``InvalidResponseError`` naming the filter as written, the parameter sent, the
row's pk and the value the provider sent. A query with nothing to verify costs
nothing per row.

Verified (Django's semantics), on a field whose wire key (``source``) is in the row:

- ``exact``, ``iexact``, ``in``, ``isnull`` on every scalar field (numbers,
  decimals, text, booleans, dates, datetimes, times, durations, UUIDs), on a
  ``ForeignKey`` (the row's value a bare pk or a nested object, read with the
  dialect's ``related_pk`` as the field reads it; ``author__id=3`` is the
  foreign key's pk too) and on a list field (``ListField``, ``ManyToManyField``):
  there a single value means "the list holds it", ``in`` "the list holds one of
  them", and ``isnull`` on a many-to-many "the list is empty";
- ``contains``, ``icontains``, ``startswith``, ``istartswith``, ``endswith``,
  ``iendswith`` on text;
- ``gt``, ``gte``, ``lt``, ``lte``, ``range`` on numbers, decimals, dates,
  datetimes, times and durations (never on text: collations order it differently);
- ``year``, ``month``, ``day``, ``week_day``, ``quarter`` and ``date`` on dates and
  datetimes, and ``minute`` on datetimes since 1980;
- exclusions (``exclude()``, sent through ``Meta.exclude_filters``): the row must
  not satisfy the lookup;
- a filter across a relation (``author__name``) when the row's nested object
  carries that key; the path parent of a nested endpoint (sent in the URL's path)
  like any other filter. Choice values a provider wraps (``{"value", "label"}``)
  are unwrapped with the dialect's ``choice_value``.

Never a false alarm, so comparisons lean towards "it may match":

- a positive text comparison fails only if it fails case-insensitively, accents
  and trailing spaces ignored (a database collation may compare that loosely); an
  exclusion fails only if the row matches exactly, case and all;
- a float matches within a relative 1e-6 (a single-precision column); a decimal
  may have been rounded to the places the provider sent ("10.00" may be 10.004),
  and a datetime or time to the second (a column that stores whole seconds);
- a datetime sent without an offset may be in any UTC offset from -14h to +14h;
  a date part of a datetime fails only if it is wrong in every such offset (so a
  date one day off across midnight passes); ``hour`` on a datetime therefore
  never fails, and is not checked;
- a NULL row value fails every positive lookup but ``isnull=True`` (SQL's NULL
  matches no comparison) and no exclusion (Django's ``exclude()`` keeps NULLs).

Not verified (the rows cannot tell, or the answer is not certain):

- a field absent from the row (a partial row, ``only()``), a relation path whose
  nested object is absent, null or lacks the key, a bare pk where a path needs a
  nested object, a path through a many-to-many;
- a search (``q=``, ``search=``: not a lookup), ordering, and any lookup name not
  listed above;
- ``regex``/``iregex`` (the database's regular expressions are not Python's);
  ``hour`` on a datetime and ``minute`` before 1980 (time zones, whose offsets
  were not whole quarter hours then); ``hour``/``minute``/``date`` on a date;
- text lookups on a non-text value, ``contains``-style lookups on a list field,
  order lookups on text, booleans and UUIDs, dict and JSON fields;
- a value that does not parse as the field's type, a filter value of another type
  than the row's, an empty text filter value (django-filter drops it);
- the number of rows of a page (the page walker checks the pages).
"""

from django_api_orm.verify._check import PageCheck, page_check

__all__ = ["PageCheck", "page_check"]

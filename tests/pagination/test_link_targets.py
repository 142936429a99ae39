"""``link_targets``: the ``{rel: target}`` of an RFC 8288 ``Link`` header."""

from __future__ import annotations

import time

import pytest

from django_api_orm.pagination import link_targets

NEXT = "https://api.example.test/api/tickets/?page=2"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f'<{NEXT}>; rel="next"', {"next": NEXT}),
        (f"<{NEXT}>; rel=next", {"next": NEXT}),
        (f'<{NEXT}>;rel="next"', {"next": NEXT}),
        (f'  <{NEXT}> ;  rel = "next"  ', {"next": NEXT}),
        (f"<{NEXT}>; REL=NEXT", {"next": NEXT}),
        (f'<{NEXT}>; rel="next last"', {"next": NEXT, "last": NEXT}),
        (f'<{NEXT}>; rel="  next\tlast "', {"next": NEXT, "last": NEXT}),
        (f'<{NEXT}>; type="application/json"; rel="next"', {"next": NEXT}),
        (f'<{NEXT}>; rel="next"; type="application/json"', {"next": NEXT}),
        (f'<{NEXT}>; title="a, b; c"; rel="next"', {"next": NEXT}),
        (f"<{NEXT}>; title*=UTF-8'de'n%c3%a4chste; rel=next", {"next": NEXT}),
        ("<https://a.test/x?ids=1,2>; rel=next", {"next": "https://a.test/x?ids=1,2"}),
        ("</api/tickets/?page=2>; rel=next", {"next": "/api/tickets/?page=2"}),
    ],
)
def test_one_link_value(header: str, expected: dict[str, str]) -> None:
    """Reads the relation types of one link-value, quoted or not, among other parameters."""
    assert link_targets(header) == expected


def test_several_link_values_in_one_header() -> None:
    """Reads each comma-separated link-value, as GitHub sends first, prev, next and last."""
    header = (
        '<https://a.test/x?page=1>; rel="first", <https://a.test/x?page=1>; rel="prev", '
        '<https://a.test/x?page=3>; rel="next", <https://a.test/x?page=9>; rel="last"'
    )
    assert link_targets(header) == {
        "first": "https://a.test/x?page=1",
        "prev": "https://a.test/x?page=1",
        "next": "https://a.test/x?page=3",
        "last": "https://a.test/x?page=9",
    }


def test_header_lines_joined_by_a_comma() -> None:
    """Reads two Link header lines joined with ', ', as httpx returns repeated headers."""
    header = '<https://a.test/x?page=1>; rel="prev", <https://a.test/x?page=3>; rel="next"'
    assert link_targets(header)["next"] == "https://a.test/x?page=3"


def test_first_target_of_a_relation_wins() -> None:
    """Keeps the first target when two link-values have the same relation."""
    header = '<https://a.test/1>; rel="next", <https://a.test/2>; rel="next"'
    assert link_targets(header) == {"next": "https://a.test/1"}


def test_only_the_first_rel_parameter_counts() -> None:
    """Ignores a second rel parameter of one link-value, as RFC 8288 section 3.3 requires."""
    assert link_targets('<https://a.test/p>; rel="prev"; rel="next"') == {
        "prev": "https://a.test/p"
    }


@pytest.mark.parametrize(
    "header",
    [
        '<https://a.test/p>; title="see; rel=next"; rel="prev"',
        '<https://a.test/p>; title="rel=\\"next\\", <https://a.test/q>; rel=next"; rel="prev"',
    ],
)
def test_rel_inside_a_quoted_value_is_not_a_relation(header: str) -> None:
    """Reads a quoted parameter value whole, even with ';', ',', '<' or escaped quotes in it."""
    assert link_targets(header) == {"prev": "https://a.test/p"}


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"<{NEXT}>",
        f'<{NEXT}>; title="next"',
        f'<{NEXT}>; relation="next"',
        f'<{NEXT}>; rel="nextpage"',
        f"{NEXT}; rel=next",
    ],
)
def test_no_next_relation(header: str) -> None:
    """Finds no next target where no link-value has the relation type next."""
    assert "next" not in link_targets(header)


def test_a_long_hostile_header_is_read_in_linear_time() -> None:
    """Reads 50,000 unmatched '<' at once, where a backtracking scan would take seconds."""
    started = time.perf_counter()
    assert link_targets("<" * 50_000 + f'<{NEXT}>; rel="next"') == {"next": NEXT}
    assert time.perf_counter() - started < 2.0

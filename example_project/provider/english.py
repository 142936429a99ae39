"""English for the seed data's titles: "An Endless Library", "Paper Cities"."""


def plural(noun: str) -> str:
    """Return the plural of a noun of the seed data: "City" -> "Cities", "Sea" -> "Seas"."""
    if noun.endswith("y") and noun[-2:-1].lower() not in "aeiou":
        return f"{noun[:-1]}ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return f"{noun}es"
    return f"{noun}s"


def with_article(phrase: str) -> str:
    """Return ``phrase`` after "A" or "An": "An Endless Library", "A Hidden Map"."""
    return f"{'An' if phrase[0].lower() in 'aeiou' else 'A'} {phrase}"

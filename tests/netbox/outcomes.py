"""Works / loud / silent, per dialect, over every check the NetBox suite runs.

``works``: the exact truth; ``loud``: an error that says why; ``silent``: anything
else, a wrong answer that looks right. The session's counts are printed at the
end of the run and written to ``.netbox/outcomes.json``.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path


class Outcomes:
    def __init__(self) -> None:
        self.results: dict[str, dict[str, tuple[str, str]]] = collections.defaultdict(dict)

    def record(self, dialect: str, check: str, result: str, detail: str) -> None:
        self.results[dialect][check] = (result, detail)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for dialect, checks in sorted(self.results.items()):
            tally = collections.Counter(result for result, _ in checks.values())
            out[dialect] = {k: tally.get(k, 0) for k in ("works", "loud", "silent")}
        return out

    def lines(self) -> list[str]:
        return [
            f"{dialect}: {c['works']} work, {c['loud']} loud, {c['silent']} silent "
            f"(of {sum(c.values())})"
            for dialect, c in self.counts().items()
        ]

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"counts": self.counts(), "checks": self.results}, indent=2, default=list)
        )


OUTCOMES = Outcomes()

"""The catalogue of problem types in the README, gathered from the source."""

from __future__ import annotations

import re
from collections import defaultdict

from shared.settings import REPO_ROOT

_SLUG = re.compile(r'slug\s*=\s*"([a-z0-9-]+)"')
_OWNERS = {"shared": "every service", "services": None}


def problem_slugs() -> dict[str, set[str]]:
    """Problem slugs by where they are raised: `shared` or one service."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(REPO_ROOT.glob("shared/**/*.py")) + sorted(
        REPO_ROOT.glob("services/**/*.py")
    ):
        parts = path.relative_to(REPO_ROOT).parts
        owner = "every service" if parts[0] == "shared" else parts[1]
        found[owner].update(_SLUG.findall(path.read_text(encoding="utf-8")))
    return dict(found)


def markdown_list() -> str:
    lines = []
    for owner in ("every service", "ward_api", "monitoring_ingest", "equity_audit"):
        slugs = sorted(problem_slugs().get(owner, ()))
        if slugs:
            lines.append(f"- **{owner}**: " + ", ".join(f"`{s}`" for s in slugs))
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_list())

"""The README's table of feature packages per service, read from the source tree."""

from __future__ import annotations

from shared.settings import REPO_ROOT

SERVICES = ("ward_api", "monitoring_ingest", "equity_audit")
FILES = ("endpoints", "service", "repository", "schemas", "responses", "models")


def features(service: str) -> list[str]:
    """Packages of a service that serve routes (they have an `endpoints.py`)."""
    root = REPO_ROOT / "services" / service
    return sorted(p.parent.name for p in root.glob("*/endpoints.py"))


def markdown_table() -> str:
    lines = [
        "| service | feature | " + " | ".join(f"`{f}.py`" for f in FILES) + " |",
        "|---|---|" + "---|" * len(FILES),
    ]
    for service in SERVICES:
        for feature in features(service):
            package = REPO_ROOT / "services" / service / feature
            marks = ["✓" if (package / f"{f}.py").exists() else "" for f in FILES]
            lines.append(f"| {service} | `{feature}/` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())

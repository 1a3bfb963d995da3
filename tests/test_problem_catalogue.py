"""The README's problem catalogue lists every problem type the code can answer with.

It is generated from what the source raises (`vward.problems_doc`); these tests check it from
other directions: the exception classes themselves, the answers the running services give,
and that no slug is chosen in a way the generator cannot follow.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import services
import shared
from shared.auth import Role
from shared.problems import ProblemError
from shared.settings import REPO_ROOT
from vward.problems_doc import problem_slugs, scan
from vward.readme import README

_SECTION = re.compile(r"<!-- generated:problem-types -->\n(.*?)<!-- /generated", re.DOTALL)


def _catalogue() -> set[str]:
    """The slugs the README lists, read from the README itself."""
    match = _SECTION.search(README.read_text(encoding="utf-8"))
    assert match, "the README has no generated problem catalogue"
    return set(re.findall(r"`([a-z0-9-]+)`", match[1]))


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_no_slug_is_chosen_where_the_catalogue_cannot_see() -> None:
    assert scan().unresolved == []


def test_every_problem_class_is_in_the_catalogue() -> None:
    for package in (services, shared):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    classes = _subclasses(ProblemError) | {ProblemError}
    missing = sorted(
        f"{c.__module__}.{c.__qualname__}: {c.slug}"
        for c in classes
        if c.__module__.startswith(("services.", "shared.")) and c.slug not in _catalogue()
    )
    assert missing == []


def test_every_literal_slug_in_the_source_is_in_the_catalogue() -> None:
    """A plain text search (what the catalogue was once built from) finds nothing it lacks."""
    pattern = re.compile(r'(?:slug\s*=\s*|problem_type\(|/problems/)"?([a-z0-9][a-z0-9-]+)"?')
    seen = set()
    for path in [*REPO_ROOT.glob("shared/**/*.py"), *REPO_ROOT.glob("services/**/*.py")]:
        seen |= {m for m in pattern.findall(path.read_text(encoding="utf-8")) if "-" in m}
    assert sorted(seen - _catalogue()) == []


async def test_what_the_services_answer_is_in_the_catalogue(ward_client, auth) -> None:
    """Problems answered by the framework and the edge, not raised by any one route."""
    ward = ward_client
    admin = auth(Role.admin)
    answers = [
        await ward.get("/v1/wards", params={"icb_code": "E54\x00"}, headers=admin),
        await ward.get("/v1/no-such-route", headers=admin),
        await ward.delete("/v1/whoami", headers=admin),
        await ward.post(
            "/v1/wards", content=b"{", headers={**admin, "content-type": "application/json"}
        ),
        await ward.get("/v1/wards"),
    ]
    slugs = {r.json()["type"].rsplit("/", 1)[-1] for r in answers}
    assert {"invalid-text", "not-found", "method-not-allowed", "malformed-json"} <= slugs
    assert sorted(slugs - _catalogue()) == []


def test_generated_catalogue_names_every_owner() -> None:
    assert set(problem_slugs()) == {"every service", "ward_api", "monitoring_ingest",
                                    "equity_audit"}  # fmt: skip

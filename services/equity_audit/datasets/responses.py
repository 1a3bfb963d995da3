"""The problems each reference dataset route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import problem, problem_responses

IMPORT = problem_responses(
    problem(
        409,
        "reference-missing",
        "no LSOAs are loaded yet: import the imd dataset first",
    ),
    problem(
        422,
        "dataset-rejected",
        "2 row(s) rejected: nothing was loaded",
        report={"accepted": 32842, "rejected_count": 2, "rejected": [], "missing_count": 0},
    ),
)

"""The write API does what its OpenAPI document says, checked by schemathesis.

Every operation is called with cases schemathesis generates from the document itself, valid
and invalid ones, with a token of the scope the operation declares. Each answer must be one
the document lists (a documented status, in the documented shape) and never a 5xx; an invalid
request must be refused. Examples are bounded so the suite stays quick;
SCHEMATHESIS_EXAMPLES raises them for a deeper run.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, FormatChecker
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from statuspage.staff.tokens import create_token
from statuspage.web.api_v1 import PREFIX

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
FORMATS = FormatChecker()
# Refusing a request it should refuse, the API may also say 413 (too large): documented too.
REFUSALS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}
)
# The rules JSON Schema cannot say: a request the document allows may still be refused for
# these, and for nothing else.
INEXPRESSIBLE = re.compile(
    r"is in the future|is before started_at|must be after scheduled_for"
    r"|nothing to change|does not apply to a|can only be written once|has completed"
    r"|is an incident, not a maintenance|already completed"
)


@pytest.fixture
def tokens(app) -> dict[str, str]:
    with app.app_context():
        return {
            "write": create_token("fuzz-write"),
            "results": create_token("fuzz-results", "results", location="fuzz"),
        }


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
def test_every_answer_is_one_the_document_lists(app, tokens, mode, report_figure) -> None:
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app, config=CONFIG)
    calls: list[int] = []
    refused: list[str] = []
    for result in schema.get_all_operations():
        fuzz(result.ok(), schema.raw_schema["components"], mode, tokens, calls, refused)
    assert calls
    assert all(status < 500 for status in calls)
    # Whatever the document allows is refused only for a rule it cannot state.
    unexplained = sorted({m for m in refused if not INEXPRESSIBLE.search(m)})
    assert unexplained == [], "\n".join(unexplained)
    report_figure(
        f"schemathesis ({mode.value}): {len(calls)} cases over the OpenAPI document, "
        f"{sum(1 for s in calls if s < 300)} accepted, {sum(1 for s in calls if s >= 400)} "
        "refused, no 5xx and no answer the document does not list"
    )


def fuzz(operation, components, mode, tokens, calls: list[int], refused: list[str]) -> None:
    """Call one operation with generated cases and every check but positive acceptance.

    That one is judged here instead: the generator does not always keep to a pattern, so a
    case counts as allowed only when it meets the document's schema.
    """
    scopes = [
        scope
        for entry in operation.definition.raw.get("security", [])
        for scope in entry.get("bearer", [])
    ]
    headers = {"Authorization": f"Bearer {tokens[scopes[0]]}"} if scopes else {}
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    # With the document's components beside it, so its $refs resolve.
    body_schema = Draft202012Validator(
        dict(content.get("application/json", {}).get("schema", {}), components=components),
        format_checker=FORMATS,
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case) -> None:
        response = case.call_and_validate(
            headers=case.headers, excluded_checks=[positive_data_acceptance]
        )
        calls.append(response.status_code)
        allowed = mode is GenerationMode.POSITIVE and body_schema.is_valid(case.body)
        if allowed and response.status_code in (400, 422):
            refused.append(response.json()["message"])

    strategy = operation.as_strategy(generation_mode=mode, headers=headers)
    given(case=strategy)(call)()

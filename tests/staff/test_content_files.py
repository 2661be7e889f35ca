"""Incident files parsed: the heading grammar and errors that name the field (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from statuspage.staff.content_files import ContentError, parse_document
from tests.staff.content_samples import FULL, MAINTENANCE, NOW, at

# ---------------------------------------------------------------------------------------
# The heading grammar


@pytest.mark.parametrize(
    ("heading", "moment", "status"),
    [
        ("2026-03-01 10:05 UTC · Investigating", at(10, 5), "investigating"),
        ("2026-03-01 10:05 UTC - identified", at(10, 5), "identified"),
        ("2026-03-01 10:05 UTC — Monitoring", at(10, 5), "monitoring"),
        ("2026-03-01 10:05:30 Z | Resolved", at(10, 5) + timedelta(seconds=30), "resolved"),
        ("2026-03-01T10:05Z Investigating", at(10, 5), "investigating"),
        ("2026-03-01 12:05 +02:00 · Investigating", at(10, 5), "investigating"),
        ("2026-03-01 05:05 -0500 - Investigating", at(10, 5), "investigating"),
        ("2026-03-01 11:05 Europe/Paris: Investigating", at(10, 5), "investigating"),
        ("2026-03-01 10:05 utc · INVESTIGATING ##", at(10, 5), "investigating"),
    ],
)
def test_update_headings(heading: str, moment: datetime, status: str) -> None:
    text = f'+++\ntitle = "T"\n+++\n\n## {heading}\nText.\n'
    document = parse_document(text, "incidents/t.md", NOW)
    [update] = document.updates
    assert (update.at, update.status, update.body) == (moment, status, "Text.")


def test_maintenance_status_words_with_spaces_and_newest_first_order() -> None:
    text = MAINTENANCE.replace("In progress", "in-progress")
    sections = text.split("\n## ")
    reordered = "\n## ".join([sections[0], *reversed(sections[1:])])
    document = parse_document(reordered, "incidents/m.md", NOW)
    assert [u.status for u in document.updates] == ["scheduled", "in_progress", "completed"]


def test_a_heading_inside_a_code_block_is_body_text() -> None:
    text = FULL.replace("Update checks are healthy again.", "```\n## not a heading\n```")
    document = parse_document(text, "incidents/t.md", NOW)
    assert document.updates[-1].body == "```\n## not a heading\n```"


# ---------------------------------------------------------------------------------------
# Errors name the field


def test_parse_errors_name_the_field() -> None:
    with pytest.raises(ContentError) as caught:
        parse_document(FULL.replace("· Identified", "· Fixed"), "incidents/t.md", NOW)
    assert caught.value.field == "line 12"
    assert caught.value.message == (
        "unknown status 'Fixed': an incident's statuses are Investigating, Identified, "
        "Monitoring, Resolved, Postmortem"
    )

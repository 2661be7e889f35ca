"""Incident templates, parsed: content/templates/*.md text in, an IncidentTemplate or a
ContentError out; and filled in for the admin's forms.

A template is TOML front matter between `+++` lines (as in incident files) with `name` (what
the admin's menu shows), `title`, `status`, and optionally `impact` and `components`; the body
is the note. The title and body may use the placeholders in PLACEHOLDERS; `{{` and `}}` are
literal braces. Nothing here opens the database: the admin and `statuspage content check`
pass the component slugs and names they know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from statuspage.config import StatusConfig
from statuspage.rules.wording import join_names
from statuspage.staff.content_files import (
    INCIDENT_IMPACTS,
    STATUS_FOR_IMPACT,
    ContentError,
    decode,
    incident_files,
    read_components,
    read_toml,
    split_front_matter,
)
from statuspage.store import limits
from statuspage.store.text import uncarried
from statuspage.vocabulary import ComponentStatus, Impact, IncidentStatus

TEMPLATE_FOLDER = "templates"
KEYS = {"name", "title", "status", "impact", "components"}
# What a placeholder stands for when the form is filled in.
PLACEHOLDERS = {
    "component": "the affected components' names: 'Live Updates and Analytics'",
    "site": "the site's name",
}
# A template is chosen by its file name (without .md) in ?template=...
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
NAME_LIMIT = 100


@dataclass(frozen=True)
class IncidentTemplate:
    """One template: what it fills in, with its placeholders still in place."""

    key: str
    name: str
    title: str
    status: str
    # "from_components" lets the service derive the impact, as the admin's form does.
    impact: str
    components: dict[str, str]
    body: str

    def filled(self, names: Sequence[str], site: str) -> tuple[str, str]:
        """Return the title and body with the placeholders filled in."""
        values = {"component": join_names(names) if names else "our services", "site": site}
        return fill(self.title, values), fill(self.body, values)


def template_folder(config: StatusConfig) -> Path:
    """Return the templates folder: templates/ beside the configuration file."""
    return Path(config.path).parent / TEMPLATE_FOLDER


def parse_template(text: str, key: str, known: Iterable[str]) -> IncidentTemplate:
    """Parse and validate one template, raising ContentError naming the field or line."""
    if not KEY_PATTERN.match(key) or len(key) > NAME_LIMIT:
        raise ContentError(
            "file name", "lowercase letters, digits, '-' or '_' (it is the template's key)"
        )
    front, body_start, body = split_front_matter(text)
    data = read_toml(front)
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ContentError(unknown[0], f"unknown key (allowed: {', '.join(sorted(KEYS))})")
    name = _text(data, "name", NAME_LIMIT)
    title = _text(data, "title", limits.EVENT_NAME)
    status = data.get("status")
    if status not in {s.value for s in IncidentStatus}:
        allowed = ", ".join(s.value for s in IncidentStatus)
        raise ContentError("status", f"must be one of: {allowed} (got {status!r})")
    impact = data.get("impact")
    if impact is not None and impact not in INCIDENT_IMPACTS:
        raise ContentError("impact", f"must be one of: {', '.join(INCIDENT_IMPACTS)}")
    statuses = [s.value for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE]
    components = read_components(data, STATUS_FOR_IMPACT[Impact(impact or Impact.MINOR)], statuses)
    slugs = sorted(known)
    for slug in components:
        if slug not in slugs:
            raise ContentError(
                "components", f"unknown component {slug!r} (known: {', '.join(slugs)})"
            )
    note = "\n".join(body).strip()
    where = f"line {body_start}"
    if len(note) > limits.BODY:
        raise ContentError(where, f"the body is longer than {limits.BODY} characters")
    if problem := uncarried(note):
        raise ContentError(where, f"the body contains {problem}")
    placeholders(title, "title")
    placeholders(note, where)
    return IncidentTemplate(key, name, title, status, impact or "from_components", components, note)


def _text(data: Mapping[str, object], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(key, "required: a non-empty string")
    if len(value.strip()) > limit:
        raise ContentError(key, f"longer than {limit} characters")
    if problem := uncarried(value):
        raise ContentError(key, f"contains {problem}")
    return value.strip()


def placeholders(text: str, where: str) -> list[str]:
    """Return the placeholders a text uses, raising ContentError for an unknown or bad one."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError as error:
        raise ContentError(where, f"{error} (write {{{{ and }}}} for literal braces)") from None
    used = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            raise ContentError(where, f"unknown placeholder {{{field}}} (known: {known})")
        used.append(field)
    return used


def fill(text: str, values: Mapping[str, str]) -> str:
    """Fill a validated text's placeholders; values are inserted as they are, never parsed."""
    return "".join(
        literal + (values[field] if field is not None else "")
        for literal, field, _, _ in Formatter().parse(text)
    )


@dataclass(frozen=True)
class TemplateReport:
    """One template file checked: its template, or what is wrong with it."""

    path: Path
    template: IncidentTemplate | None
    error: ContentError | None

    def line(self) -> str:
        """Return the line `statuspage content check` prints for it."""
        where = f"{TEMPLATE_FOLDER}/{self.path.name}"
        if self.template is not None:
            return f"ok: {where} ({self.template.name})"
        return f"error: {where}: {self.error}"


def read_templates(folder: Path, known: Iterable[str]) -> list[TemplateReport]:
    """Read and check every template of a folder, in name order (none if it does not exist)."""
    if not folder.is_dir():
        return []
    slugs = list(known)
    reports = []
    for path in incident_files(folder):
        try:
            template = parse_template(decode(path.read_bytes()), path.stem, slugs)
        except ContentError as error:
            reports.append(TemplateReport(path, None, error))
        else:
            reports.append(TemplateReport(path, template, None))
    return reports


def usable_templates(config: StatusConfig) -> list[IncidentTemplate]:
    """Return the valid templates of the site, for the admin's menus."""
    known = [component.slug for component in config.components]
    reports = read_templates(template_folder(config), known)
    return [report.template for report in reports if report.template is not None]

"""Staff accounts, sign-in, CSRF, throttling and the admin screens."""

from __future__ import annotations

import re

import pytest

from statuspage.staff.accounts import create_user
from statuspage.store.db import db
from statuspage.store.limits import ACTOR as MAX_EMAIL
from statuspage.store.models import (
    AuditEntry,
    Component,
    Incident,
    IncidentUpdate,
    SignInFailure,
    User,
)
from tests.inert import live_markup

PASSWORD = "correct horse battery"
EMAIL = "alice@capgo.app"


@pytest.fixture
def settings():
    # Most tests post forms directly; CSRF has its own tests below.
    return {"WTF_CSRF_ENABLED": False}


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    response = client.post("/admin/sign-in", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_user_commands(app, runner) -> None:
    result = runner.invoke(
        args=["user", "create", EMAIL, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["user", "create", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already exists" in again.output
    short = runner.invoke(
        args=["user", "create", "bob@capgo.app", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    listed = runner.invoke(args=["user", "list"])
    assert EMAIL in listed.output and "active" in listed.output and PASSWORD not in listed.output
    assert runner.invoke(args=["user", "disable", EMAIL]).exit_code == 0
    assert "disabled" in runner.invoke(args=["user", "list"]).output
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_admin_needs_sign_in(client) -> None:
    for path in ("/admin/", "/admin/incidents/new", "/admin/components", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    assert client.post("/admin/incidents/new", data={"name": "x"}).status_code == 302


def test_sign_in_cookie_and_sign_out(app, client) -> None:
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    response = client.post("/admin/sign-in", data={"email": EMAIL, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/admin/").status_code == 200
    client.post("/admin/sign-out")
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_secure_over_https(app, client) -> None:
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    response = client.post(
        "/admin/sign-in", data={"email": EMAIL, "password": PASSWORD}, base_url="https://localhost"
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_disabled_account_loses_its_session(app, staff_client, runner) -> None:
    assert staff_client.get("/admin/").status_code == 200
    runner.invoke(args=["user", "disable", EMAIL])
    assert staff_client.get("/admin/").status_code == 302


def test_failed_sign_ins_are_throttled_per_account(app, client) -> None:
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    for _ in range(5):
        assert (
            client.post("/admin/sign-in", data={"email": EMAIL, "password": "wrong"}).status_code
            == 401
        )
    # Even the right password is refused while the account is throttled.
    response = client.post("/admin/sign-in", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 429 and "Too many failed sign-ins" in response.get_data(
        as_text=True
    )


def test_failed_sign_ins_are_throttled_per_address(app, client) -> None:
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    for n in range(20):
        client.post("/admin/sign-in", data={"email": f"guess{n}@x.test", "password": "wrong"})
    assert (
        client.post("/admin/sign-in", data={"email": EMAIL, "password": PASSWORD}).status_code
        == 429
    )
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(SignInFailure.id))).scalar() == 20


def test_sign_in_refuses_what_no_address_can_be(app, client) -> None:
    """A NUL in the email is a 400 like any invalid form (PostgreSQL cannot even look it up)."""
    response = client.post("/admin/sign-in", data={"email": "a\x00@capgo.app", "password": "x"})
    assert response.status_code == 400
    assert "Not a valid email address." in response.get_data(as_text=True)


def test_account_email_fits_where_it_is_written(app, runner) -> None:
    """An email is the author of updates and audit entries: at most as long as those hold."""
    assert AuditEntry.__table__.c.actor.type.length == MAX_EMAIL
    assert IncidentUpdate.__table__.c.author.type.length == MAX_EMAIL
    long_email = "a" * (MAX_EMAIL - len("@capgo.app") + 1) + "@capgo.app"
    result = runner.invoke(
        args=["user", "create", long_email, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 2 and f"at most {MAX_EMAIL} characters" in result.output
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None


def test_next_only_goes_to_this_site(app, client) -> None:
    with app.app_context():
        create_user(EMAIL, PASSWORD)
    response = client.post(
        "/admin/sign-in?next=https://evil.test/", data={"email": EMAIL, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/"


def open_incident(staff_client, **extra):
    data = {
        "name": "Update checks failing",
        "status": "investigating",
        "impact": "from_components",
        "body": "We are *looking*.",
        "component-live-updates": "major_outage",
        "action": "post",
    } | extra
    return staff_client.post("/admin/incidents/new", data=data)


def test_incident_flow_through_the_screens(app, staff_client, client) -> None:
    response = open_incident(staff_client)
    assert response.status_code == 302
    code = response.headers["Location"].rsplit("/", 1)[1]
    page = staff_client.get(f"/admin/incidents/{code}").get_data(as_text=True)
    assert "Update checks failing" in page and "<em>looking</em>" in page
    assert 'aria-label="Preview"' not in page  # only after pressing Preview

    preview = staff_client.post(
        f"/admin/incidents/{code}/updates",
        data={"status": "identified", "body": "Found **it**", "action": "preview"},
    )
    assert "Preview" in preview.get_data(
        as_text=True
    ) and "<strong>it</strong>" in preview.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.execute(db.select(Incident)).scalar_one().updates) == 1

    staff_client.post(
        f"/admin/incidents/{code}/updates",
        data={
            "status": "identified",
            "body": "Found it",
            "component-live-updates": "partial_outage",
            "action": "post",
        },
    )
    assert "Partial Outage" in client.get("/").get_data(as_text=True)
    staff_client.post(f"/admin/incidents/{code}/resolve")
    with app.app_context():
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.status == "resolved"
        update_code = incident.updates[-1].code
    staff_client.post(
        f"/admin/updates/{update_code}/edit", data={"body": "We were looking.", "action": "post"}
    )
    edited = staff_client.get(f"/admin/updates/{update_code}/edit").get_data(as_text=True)
    assert "Earlier texts" in edited and "We are *looking*." in edited
    staff_client.post(
        f"/admin/incidents/{code}/postmortem",
        data={"postmortem": "Root cause: a deploy.", "action": "post"},
    )
    with app.app_context():
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.status == "postmortem" and incident.postmortem == "Root cause: a deploy."
        actions = [
            e.action
            for e in db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]
    assert actions == [
        "user.create",  # the staff_client fixture's account
        "incident.create",
        "update.create",
        "update.create",
        "update.edit",
        "incident.change",
    ]
    audit = staff_client.get("/admin/audit").get_data(as_text=True)
    assert "update.edit" in audit and EMAIL in audit


def test_refused_form_names_the_field_and_keeps_the_input(app, staff_client) -> None:
    response = open_incident(staff_client, name="", body="Keep me")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "name is required (name)" in text and "Keep me" in text
    with app.app_context():
        assert db.session.execute(db.select(Incident)).first() is None


def test_maintenance_and_component_screens(app, staff_client, client) -> None:
    response = staff_client.post(
        "/admin/maintenance/new",
        data={
            "name": "Database upgrade",
            "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T09:00",
            "components": ["analytics"],
        },
    )
    assert response.status_code == 422 and "scheduled_until must be after" in response.get_data(
        as_text=True
    )
    response = staff_client.post(
        "/admin/maintenance/new",
        data={
            "name": "Database upgrade",
            "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T11:00",
            "components": ["analytics"],
        },
    )
    code = response.headers["Location"].rsplit("/", 1)[1]
    staff_client.post(
        f"/admin/maintenance/{code}/edit",
        data={
            "name": "Database upgrade (longer)",
            "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T12:00",
            "components": ["analytics", "live-updates"],
        },
    )
    staff_client.post(f"/admin/maintenance/{code}/cancel")
    with app.app_context():
        maintenance = db.session.execute(db.select(Incident)).scalar_one()
        assert maintenance.name == "Database upgrade (longer)" and maintenance.status == "completed"
    staff_client.post(
        "/admin/components", data={"slug": "analytics", "status": "major_outage", "action": "set"}
    )
    assert "<h1>Partial System Outage</h1>" in client.get("/").get_data(as_text=True)
    staff_client.post("/admin/components", data={"slug": "analytics", "action": "clear"})
    assert "<h1>All Systems Operational</h1>" in client.get("/").get_data(as_text=True)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<iframe src=//evil.test></iframe>",
    "<svg onload=alert(1)>",
    "<b><i>broken",
    "x" * 5000,
    "\u202eevil\u202c text \U0001f525",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_inert_on_admin_and_public_pages(app, staff_client, client, text) -> None:
    response = open_incident(staff_client, name=text[:300], body=text)
    code = response.headers["Location"].rsplit("/", 1)[1]
    for page in (
        staff_client.get(f"/admin/incidents/{code}").get_data(as_text=True),
        staff_client.get("/admin/").get_data(as_text=True),
        client.get("/").get_data(as_text=True),
    ):
        assert live_markup(page, allowed={"form"}) == []


class TestCsrf:
    @pytest.fixture
    def settings(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_forms_without_token_are_refused(self, app, client) -> None:
        with app.app_context():
            create_user(EMAIL, PASSWORD)
        refused = client.post("/admin/sign-in", data={"email": EMAIL, "password": PASSWORD})
        assert refused.status_code == 400
        form = client.get("/admin/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        signed_in = client.post(
            "/admin/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
        assert signed_in.status_code == 302
        assert (
            client.post(
                "/admin/incidents/new", data={"name": "x", "status": "investigating"}
            ).status_code
            == 400
        )
        with app.app_context():
            assert db.session.execute(db.select(Incident)).first() is None


# ---------------------------------------------------------------------------------------
# Staff cannot hide an outage by accident (issue 14)


def observe(app, slug: str, status: str) -> None:
    """Give a component the automatic status the probes would."""
    with app.app_context():
        component = db.session.execute(db.select(Component).filter_by(slug=slug)).scalar_one()
        component.automatic_status = status
        db.session.commit()


def test_the_incidents_screen_has_a_heading_and_says_statuses_in_words(app, staff_client) -> None:
    open_incident(staff_client, status="monitoring", impact="major")
    page = staff_client.get("/admin/").get_data(as_text=True)
    assert "<h1>Incidents</h1>" in page
    assert "Monitoring · Major impact" in page
    assert "monitoring · major" not in page


def test_status_controls_start_on_what_the_page_shows(app, staff_client) -> None:
    observe(app, "analytics", "partial_outage")
    page = staff_client.get("/admin/components").get_data(as_text=True)
    select = page.split('id="status-analytics"', 1)[1].split("</select>", 1)[0]
    assert '<option value="partial_outage" selected>' in select
    assert select.count("selected") == 1
    assert "Probes</dt><dd>Partial Outage" in page


def test_a_manual_status_better_than_observed_asks_first_and_says_what_it_hides(
    app, staff_client, client
) -> None:
    observe(app, "analytics", "partial_outage")
    asked = staff_client.post(
        "/admin/components", data={"slug": "analytics", "status": "operational", "action": "set"}
    )
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "This hides what is observed" in page
    assert "the probes say Partial Outage" in page
    assert 'name="confirmed" value="yes"' in page
    with app.app_context():
        component = db.session.execute(
            db.select(Component).filter_by(slug="analytics")
        ).scalar_one()
        assert component.manual_status is None  # nothing set until confirmed
    assert "<h1>Minor Service Outage</h1>" in client.get("/").get_data(as_text=True)
    done = staff_client.post(
        "/admin/components",
        data={"slug": "analytics", "status": "operational", "action": "set", "confirmed": "yes"},
    )
    assert done.status_code == 302
    assert "<h1>All Systems Operational</h1>" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("status", ["partial_outage", "major_outage"])
def test_a_manual_status_as_bad_or_worse_is_set_at_once(app, staff_client, status) -> None:
    observe(app, "analytics", "partial_outage")
    response = staff_client.post(
        "/admin/components", data={"slug": "analytics", "status": status, "action": "set"}
    )
    assert response.status_code == 302
    with app.app_context():
        component = db.session.execute(
            db.select(Component).filter_by(slug="analytics")
        ).scalar_one()
        assert component.manual_status == status


def test_resolving_asks_first_and_says_what_it_changes(app, staff_client) -> None:
    code = open_incident(staff_client).headers["Location"].rsplit("/", 1)[1]
    page = staff_client.get(f"/admin/incidents/{code}").get_data(as_text=True)
    # The incident's screen offers a link to the confirmation, never a one-click form.
    assert f'href="/admin/incidents/{code}/resolve"' in page
    assert f'action="/admin/incidents/{code}/resolve"' not in page
    confirm = staff_client.get(f"/admin/incidents/{code}/resolve").get_data(as_text=True)
    assert "This incident has been resolved." in confirm
    assert "<strong>Live Updates</strong> (shown now as Major Outage)" in confirm
    assert f'action="/admin/incidents/{code}/resolve"' in confirm
    with app.app_context():
        assert db.session.execute(db.select(Incident)).scalar_one().status == "investigating"
    staff_client.post(f"/admin/incidents/{code}/resolve")
    with app.app_context():
        assert db.session.execute(db.select(Incident)).scalar_one().status == "resolved"
    # Once resolved there is nothing to confirm.
    assert staff_client.get(f"/admin/incidents/{code}/resolve").status_code == 302


def test_cancelling_a_maintenance_asks_first(app, staff_client) -> None:
    response = staff_client.post(
        "/admin/maintenance/new",
        data={
            "name": "Database upgrade",
            "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T11:00",
            "components": ["analytics"],
        },
    )
    code = response.headers["Location"].rsplit("/", 1)[1]
    page = staff_client.get(f"/admin/incidents/{code}").get_data(as_text=True)
    assert f'href="/admin/maintenance/{code}/cancel"' in page
    confirm = staff_client.get(f"/admin/maintenance/{code}/cancel").get_data(as_text=True)
    assert "has not started" in confirm and f'action="/admin/maintenance/{code}/cancel"' in confirm


def test_a_postmortem_preview_keeps_its_section_headings(app, staff_client) -> None:
    code = open_incident(staff_client).headers["Location"].rsplit("/", 1)[1]
    staff_client.post(f"/admin/incidents/{code}/resolve")
    preview = staff_client.post(
        f"/admin/incidents/{code}/postmortem",
        data={"postmortem": "## What happened\n\nA deploy.", "action": "preview"},
    ).get_data(as_text=True)
    assert "<h2>What happened</h2>" in preview

"""Monthly uptime against the target, on /uptime and as CSV for SLA claims."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from statuspage.store.db import db
from tests.factories import component_toml, config_toml
from tests.web.pages import add_day, freeze

HEADER = [
    "month",
    "component",
    "availability_percent",
    "downtime_minutes",
    "maintenance_minutes",
    "no_data_minutes",
    "target_met",
]


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch)  # 2026-03-20 12:00 UTC


@pytest.fixture
def known_months(app):
    """Live Updates: a full February just meeting the target, and a partial March."""
    with app.app_context():
        # February: 28 days, one major minute each: 28 down of 40320 -> 99.9306%.
        for day in range(1, 29):
            add_day("live-updates", date(2026, 2, day), major_min=1)
        # March so far (1st to 20th noon): two stored days, the rest without rows.
        add_day("live-updates", date(2026, 3, 1), major_min=30, partial_min=100)  # weighs 60
        add_day("live-updates", date(2026, 3, 2), maintenance_min=120, nodata_min=60)
        # Analytics: March data shows degraded minutes cost nothing.
        add_day("analytics", date(2026, 3, 5), degraded_min=600)
        db.session.commit()


def rows(client) -> list[dict[str, str]]:
    response = client.get("/uptime.csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_is_hand_computed(client, known_months) -> None:
    response = client.get("/uptime.csv")
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="capgo-uptime.csv"'
    text = response.get_data(as_text=True)
    assert next(csv.reader(io.StringIO(text))) == HEADER
    table = {(row["month"], row["component"]): row for row in rows(client)}
    assert len(table) == 36  # 12 months x 3 components
    # March: 2880 stored minutes, 60 without data, so 2820 with data and 60 weighted down.
    # No data: those 60, plus 17 missing days (3rd to 19th) and today's 12 hours so far.
    assert table[("2026-03", "Live Updates")] == {
        "month": "2026-03",
        "component": "Live Updates",
        "availability_percent": f"{100 * (1 - 60 / 2820):.4f}",
        "downtime_minutes": "60",
        "maintenance_minutes": "120",
        "no_data_minutes": str(60 + 17 * 1440 + 720),
        "target_met": "no",
    }
    assert table[("2026-02", "Live Updates")] == {
        "month": "2026-02",
        "component": "Live Updates",
        "availability_percent": "99.9306",
        "downtime_minutes": "28",
        "maintenance_minutes": "0",
        "no_data_minutes": "0",
        "target_met": "yes",
    }
    analytics = table[("2026-03", "Analytics")]
    assert analytics["availability_percent"] == "100.0000"
    assert analytics["target_met"] == "yes"


def test_months_without_data_are_never_100_percent(client, known_months) -> None:
    table = {(row["month"], row["component"]): row for row in rows(client)}
    january = table[("2026-01", "Live Updates")]
    assert january["availability_percent"] == ""
    assert january["target_met"] == ""
    assert january["no_data_minutes"] == str(31 * 1440)
    assert table[("2025-04", "App Management")]["availability_percent"] == ""
    assert "2025-03" not in {row["month"] for row in rows(client)}  # twelve months only


def test_uptime_page_says_met_missed_and_no_data(client, known_months) -> None:
    response = client.get("/uptime")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Uptime by month · Capgo Status</title>" in page
    assert '<meta name="description"' in page and "support@capgo.app" in page
    live = page.split('id="uptime-live-updates"', 1)[1].split("</section>", 1)[0]
    march = live.split("Mar 2026", 1)[1].split("</tr>", 1)[0]
    assert "(so far)" in march
    # 97.8723...% is cut, not rounded, to two decimals.
    assert "<td>97.87%</td>" in march and "Missed" in march
    assert (
        "<td>60</td>" in march
        and "<td>120</td>" in march
        and f"<td>{60 + 17 * 1440 + 720}</td>" in march
    )
    february = live.split("Feb 2026", 1)[1].split("</tr>", 1)[0]
    assert "<td>99.93%</td>" in february and "Met" in february
    january = live.split("Jan 2026", 1)[1].split("</tr>", 1)[0]
    assert "No data" in january and "100" not in january.split("</td>", 1)[0]
    assert 'href="/uptime.csv"' in page


def test_uptime_on_an_empty_database(client) -> None:
    page = client.get("/uptime").get_data(as_text=True)
    for name in ("Live Updates", "App Management", "Analytics"):
        assert name in page
    assert "100.00%" not in page
    assert all(row["availability_percent"] == "" for row in rows(client))


def test_a_month_just_under_the_target_is_missed(app, client) -> None:
    with app.app_context():
        # 44 major minutes over February's 40320: 99.8909% -> missed, shown as 99.89%.
        for day in range(1, 29):
            add_day("analytics", date(2026, 2, day), major_min=44 if day == 1 else 0)
        db.session.commit()
    table = {(row["month"], row["component"]): row for row in rows(client)}
    assert table[("2026-02", "Analytics")]["target_met"] == "no"
    page = client.get("/uptime").get_data(as_text=True)
    analytics = page.split('id="uptime-analytics"', 1)[1]
    assert "<td>99.89%</td>" in analytics.split("Feb 2026", 1)[1].split("</tr>", 1)[0]


class TestFormulaLikeName:
    """A component whose name a spreadsheet would read as a formula."""

    @pytest.fixture
    def config_path(self, write_config):
        return write_config(
            config_toml(
                component_toml("x", '=HYPERLINK("http://evil")'),
                name="Acme",
                url="https://status.acme.test",
            )
        )

    def test_csv_keeps_spreadsheets_from_running_a_component_name(self, client) -> None:
        response = client.get("/uptime.csv")
        assert "'=HYPERLINK" in response.get_data(as_text=True)
        assert response.headers["Content-Disposition"] == 'attachment; filename="acme-uptime.csv"'


@pytest.mark.usefixtures("known_months")
def test_february_has_its_own_length(client) -> None:
    table = {(row["month"], row["component"]): row for row in rows(client)}
    assert table[("2026-02", "App Management")]["no_data_minutes"] == str(28 * 1440)
    assert table[("2025-12", "App Management")]["no_data_minutes"] == str(31 * 1440)

"""Components follow the config: added, renamed, reordered, hidden with history kept."""

from __future__ import annotations

from statuspage.config import load_config
from statuspage.engine import sync_components
from statuspage.reads.status import visible_components
from statuspage.store.db import db
from statuspage.store.models import StatusChange
from tests.factories import component, component_toml, config_toml


def test_default_components_are_synced_in_file_order(app) -> None:
    with app.app_context():
        assert [c.slug for c in visible_components()] == [
            "live-updates",
            "app-management",
            "analytics",
        ]
        assert all(len(c.code) == 12 and c.code.isalnum() for c in visible_components())


def test_sync_adds_renames_reorders_and_hides(app, write_config) -> None:
    with app.app_context():
        analytics = component("analytics")
        db.session.add(StatusChange(component=analytics, status="major_outage", cause="probe"))
        db.session.commit()
        original_code = analytics.code

        changed = write_config(
            config_toml(
                component_toml("app-management", "Console & API"),
                component_toml("live-updates", "Live Updates"),
                component_toml("webhooks", "Webhooks"),
            )
        )
        sync_components(load_config(changed))

        visible = visible_components()
        assert [(c.slug, c.name) for c in visible] == [
            ("app-management", "Console & API"),
            ("live-updates", "Live Updates"),
            ("webhooks", "Webhooks"),
        ]
        hidden = component("analytics")
        assert hidden.hidden
        history = db.session.execute(db.select(StatusChange).filter_by(component=hidden)).scalars()
        assert [h.status for h in history] == ["major_outage"]

        # Put back, it returns with the same public id and its history.
        sync_components(
            load_config(write_config(config_toml(component_toml("analytics", "Analytics"))))
        )
        back = component("analytics")
        assert not back.hidden and back.code == original_code


def test_sync_is_idempotent(app) -> None:
    with app.app_context():
        before = {c.slug: (c.code, c.updated_at) for c in visible_components()}
        sync_components(app.config["STATUS"])
        after = {c.slug: (c.code, c.updated_at) for c in visible_components()}
        assert before == after


def test_groups_become_parent_rows(app, write_config) -> None:
    with app.app_context():
        config = load_config(
            write_config(
                config_toml(
                    component_toml("eu", "Europe", group="Regional workers"),
                    component_toml("na", "North America", group="Regional workers"),
                    component_toml("api", "API"),
                )
            )
        )
        sync_components(config)
        rows = {c.slug: c for c in visible_components()}
        group = rows["regional-workers"]
        assert group.is_group and group.name == "Regional workers"
        assert rows["eu"].group_id == group.id and rows["na"].group_id == group.id
        assert rows["api"].group_id is None
        assert [c.slug for c in visible_components()] == ["regional-workers", "eu", "na", "api"]


def test_groups_with_non_latin_names_get_their_own_stable_slugs(app, write_config) -> None:
    path = write_config(
        config_toml(
            component_toml("tokyo", "Tokyo edge", group="日本"),
            component_toml("beijing", "Beijing edge", group="中国"),
            component_toml("lisbon", "Lisbon edge", group="Açores"),
        )
    )
    config = load_config(path)
    slugs = [c.group_slug for c in config.components]
    assert len(set(slugs)) == 3 and all(slugs), slugs
    assert slugs[2] == "acores"  # Latin letters fold to ASCII; no hash is needed
    assert [c.group_slug for c in load_config(path).components] == slugs  # stable
    with app.app_context():
        sync_components(config)
        groups = [c for c in visible_components() if c.is_group]
        assert [(g.slug, g.name) for g in groups] == list(
            zip(slugs, ["日本", "中国", "Açores"], strict=True)
        )
        tokyo = component("tokyo")
        assert tokyo.group.name == "日本"

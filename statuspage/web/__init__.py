"""The site's front doors: public pages, feeds, the JSON APIs, health, sign-in and the admin."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every blueprint, the template filters, sign-in and the response cache."""
    from statuspage.web import (
        accounts,
        admin,
        api_v2,
        auth,
        caching,
        feeds,
        filters,
        health,
        public,
    )
    from statuspage.web.api_v1 import routes as api_v1

    filters.register(app)
    auth.init_app(app)
    app.register_blueprint(admin.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api_v2.bp)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(health.bp)
    from statuspage.web import calendar, metrics

    app.register_blueprint(calendar.bp)
    app.register_blueprint(metrics.bp)
    caching.init_app(app)

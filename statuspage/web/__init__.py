"""The site's front doors: public pages, feeds, the JSON APIs, health, sign-in and the admin."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every blueprint, the template filters, sign-in and the response cache."""
    from statuspage.web import (
        accounts,
        admin,
        admin_checks,
        api_v2,
        auth,
        caching,
        calendar,
        feeds,
        filters,
        health,
        languages,
        metrics,
        public,
    )
    from statuspage.web.admin_subscribers import init_app as add_subscribers_screen
    from statuspage.web.api_v1 import routes as api_v1
    from statuspage.web.api_v1.heartbeats import redact_request_logs
    from statuspage.web.subscribe import bp as subscribe_bp

    redact_request_logs()  # a heartbeat's key is in its path: no request line may show it
    filters.register(app)
    languages.init_app(app)
    auth.init_app(app)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_checks.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api_v2.bp)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(subscribe_bp)
    add_subscribers_screen(app)
    caching.init_app(app)

"""The Flask application: thin views over the engine, stateless across workers.

``create_app`` reads the settings, then lets each concern set itself up (Flask tutorial
style): security (secret key, encrypted session cookie, CSRF, proxies, headers), the rules
(loaded and checked once, kept frozen in ``app.extensions["orient"]``; RuleSetError, so that
``orient serve`` refuses to start, rather than a partial rule set), templating, error pages,
the page cache and the access log; then it registers every blueprint. Answers live only in
the session cookie (encrypted, forgotten when the browser closes or after an idle timeout:
cookie.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from orient.resources import resource_dir
from orient.web import (
    api,
    directory_views,
    diseases,
    errors,
    operations,
    pagecache,
    pages,
    rules,
    security,
    settings,
    share,
    templating,
    training,
    wizard,
)
from orient.web.security import MissingSecretKey, csrf

__all__ = ["MissingSecretKey", "create_app", "csrf"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # The top-level folders of a checkout, or their copies inside an installed wheel (resources.py).
    app = Flask("orient", template_folder=resource_dir("templates"), static_folder=resource_dir("static"))
    app.config.from_mapping(settings.from_environment())
    app.config.update(config or {})

    security.init_app(app)
    rules.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    pagecache.init_app(app)
    operations.init_app(app)

    for blueprint in (pages.bp, wizard.bp, share.bp, directory_views.bp, operations.bp, training.bp, diseases.bp,
                      api.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # read-only, stateless JSON: no session, no cookie to protect
    return app

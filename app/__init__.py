"""技能通 — the application factory."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from babel import Locale
from cryptography.fernet import Fernet
from flask import Blueprint, Flask, current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

# isort: off
# In the order the areas fill the registries they share (audit labels, reminder kinds, the skills record, risk
# rules…): an area is listed where it was first imported, and lists follow that order.
from app.config import ENV_NAMES, INSTANCE_DIR, Config
from app.core.crypto import PersonalDataCipher, check_production_keys
from app.extensions import babel, csrf, db, htmx, limiter, login_manager
from app.logging import configure_logging, log_requests
from app.pool import ping_after_idle
from app.auth import sessions
from app.apprenticeships import models as apprenticeships_models
from app.certificates import models as certificates_models
from app.competitions.awards import models as awards_models
from app.competitions.events import models as events_models
from app.competitions.judging import models as judging_models
from app.competitions.registration import models as registration_models
from app.competitions.squads import models as squads_models
from app.core import models as core_models
from app.mentor_hours import models as mentor_hours_models
from app.reminders import models as reminders_models
from app.training_bases import models as training_bases_models
from app.security import install_request_parsing
from app.apprenticeships import bp as apprenticeships_bp
from app.auth import bp as auth_bp
from app.certificates import bp as certificates_bp
from app.competitions import bp as competitions_bp
from app.core import bp as core_bp
from app.mentor_hours import bp as mentor_hours_bp
from app import people  # noqa: F401  (its pages join core's blueprint)
from app.reminders import bp as reminders_bp
from app.supervision import bp as supervision_bp
from app.training_bases import bp as training_bases_bp
from app import cli, errors, security, templating
# isort: on

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
#: Every area's models are imported above so that Alembic and the relationships see all tables.
MODEL_MODULES = (apprenticeships_models, certificates_models, awards_models, events_models, judging_models,
                 registration_models, squads_models, core_models, mentor_hours_models, reminders_models,
                 training_bases_models)
#: The areas' blueprints, in the order they are registered. The people pages (app.people) are on core's.
BLUEPRINTS: tuple[Blueprint, ...] = (core_bp, auth_bp, competitions_bp, training_bases_bp, apprenticeships_bp,
                                     reminders_bp, supervision_bp, mentor_hours_bp, certificates_bp)


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder="../static", static_url_path="/static")
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if app.config["ENV_NAME"] not in ENV_NAMES:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(ENV_NAMES)} (got {app.config['ENV_NAME']!r})")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _load_secrets(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    configure_logging(app)

    db.init_app(app)
    with app.app_context():
        ping_after_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    if app.config.get("MIGRATIONS", True):
        # Flask-Migrate (`flask db …`, flask_migrate.upgrade()) brings Alembic, Mako and Pygments, ~11 MB that a
        # web worker never uses: wsgi.py leaves it out unless the app serves the `flask` command.
        from flask_migrate import Migrate

        Migrate(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: app.config["TZ"])
    htmx.init_app(app)
    limiter.init_app(app)
    # Only the sign-in route has limits, and its decorator checks them itself (Flask-Limiter's wrapper); the
    # check Flask-Limiter adds before every request is for default and application-wide limits, of which there
    # are none (``default_limits=[]``), and cost ~5 % of a bare request: it is taken off.
    app.before_request_funcs[None].remove(limiter._check_request_limit)  # noqa: SLF001
    app.extensions["personal_data_cipher"] = PersonalDataCipher(
        [k.strip() for k in app.config["PERSONAL_DATA_KEYS"].split(",") if k.strip()],
        app.config["PERSONAL_DATA_HASH_KEY"],
    )

    install_request_parsing(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    log_requests(app)
    return app


#: The app's languages (Config.LANGUAGES) as Babel locales, spelled out: Flask-Babel parses what the selector
#: returns on every request, and parsing a string ("zh_CN") loads Babel's global CLDR tables (~2.3 MB in each
#: worker); a Locale is taken as it is. Each equals ``Locale.parse`` of its code (tests/unit/test_locales.py).
LOCALES = {"zh_CN": Locale("zh", territory="CN", script="Hans"), "en": Locale("en")}


def _select_locale() -> Locale | str:
    code = _selected_language()
    return LOCALES.get(code, code)


def _selected_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, scheduler, tests calling services: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    asked = request.args.get("lang", "")  # a shared link in a language (the public verification page)
    if asked in languages:
        return str(asked)
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _load_secrets(app: Flask) -> None:
    """Keys come from the environment; in development they are made once and kept in instance/.

    Production (APP_ENV=production) refuses to start without them, so a key can never silently change.
    """
    needed = ("SECRET_KEY", "PERSONAL_DATA_KEYS", "PERSONAL_DATA_HASH_KEY")
    if app.config["ENV_NAME"] == "production":
        missing = ", ".join(k for k in needed if not app.config.get(k))
        if missing:
            raise RuntimeError(f"missing configuration in production: {missing} (see docs/deploy.md, Keys)")
        check_production_keys(app.config)
        return
    if all(app.config.get(k) for k in needed):
        return
    path = Path(app.instance_path) / "dev-secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PERSONAL_DATA_KEYS": Fernet.generate_key().decode(),
            "PERSONAL_DATA_HASH_KEY": secrets.token_urlsafe(32),
        }
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    for key in needed:
        if not app.config.get(key):
            app.config[key] = stored[key]


__all__ = ["create_app"]

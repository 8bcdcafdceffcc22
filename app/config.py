"""Configuration from the environment (12-factor). SQLite under instance/ is the embedded default."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
#: The values APP_ENV may take.
ENV_NAMES = ("development", "production", "testing")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'jinengtong.sqlite3'}"
    # Accept the common "postgres://" / "postgresql://" spellings and use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings read once at start-up; every value can be overridden by an environment variable."""

    #: development (the default: keys made once in instance/), production or testing; anything else refuses to start.
    ENV_NAME = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    #: Fernet key(s) for personal data at rest, comma-separated, newest first (rotation via MultiFernet).
    PERSONAL_DATA_KEYS = os.environ.get("PERSONAL_DATA_KEYS", "")
    #: Key for the keyed hash (HMAC-SHA256) stored beside encrypted ID numbers for lookup/uniqueness.
    PERSONAL_DATA_HASH_KEY = os.environ.get("PERSONAL_DATA_HASH_KEY", "")

    SQLALCHEMY_DATABASE_URI = _database_url()
    #: A pooled connection that has been idle this long (seconds) is checked with a ping before a request uses it;
    #: one used a moment ago is not (app/pool.py: SQLAlchemy's pool_pre_ping would ping on every request).
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "1"))

    TZ = os.environ.get("TZ_DISPLAY", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TZ
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    #: Behind a reverse proxy: how many proxies in front of the app set X-Forwarded-For/-Proto (Werkzeug's
    #: ProxyFix trusts exactly that many). 0, the default, trusts none: the client address is the socket's.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    #: How new passwords are hashed (Werkzeug's method string). The default is Werkzeug's own (scrypt, ~0.1 s of CPU
    #: a hash, which is the point); the test suite sets a cheap one, as it makes thousands of accounts.
    PASSWORD_HASH_METHOD = "scrypt"

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session; htmx pages stay open all day
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@jinengtong.example")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    #: The name the scheduler gives in EHLO (default: this host's name).
    MAIL_EHLO_HOSTNAME = os.environ.get("MAIL_EHLO_HOSTNAME", "")
    #: The site's public address, for links in e-mails (the scheduler has no request to take it from).
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    #: The public address printed (and QR-coded) on certificates for /verify/<code>; unset: the address the
    #: certificate was printed from.
    CERTIFICATE_BASE_URL = os.environ.get("CERTIFICATE_BASE_URL", "")
    #: Public look-ups of certificate codes, per client address (Flask-Limiter; shared storage in production).
    # A large print (an event's certificates) is laid out in this many processes at once and joined: WeasyPrint's
    # layout is single-threaded CPU work of ~20 ms a page. 1 renders in the request's own process.
    CERTIFICATE_PDF_PROCESSES = int(os.environ.get("CERTIFICATE_PDF_PROCESSES", str(min(os.cpu_count() or 1, 4))))
    # Whole-number searches of the people list by a role that may not reveal IDs, per user: the masked ID and the
    # birth year leave thousands of candidates, and this keeps them from being tried one by one.
    ID_SEARCH_RATE_LIMIT = os.environ.get("ID_SEARCH_RATE_LIMIT", "20 per hour")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    #: Every verification answer takes at least this long (seconds), so timing does not tell a wrong code apart.
    VERIFY_MIN_SECONDS = float(os.environ.get("VERIFY_MIN_SECONDS", "0.1"))

    #: Reminders (see app/reminders/services.py): how often the scheduler ticks, how long a claimed e-mail
    #: is ours before another scheduler may send it again, how many rows a tick claims at once, retries.
    REMINDER_INTERVAL_SECONDS = float(os.environ.get("REMINDER_INTERVAL_SECONDS", "60"))
    REMINDER_LEASE_SECONDS = float(os.environ.get("REMINDER_LEASE_SECONDS", "300"))
    REMINDER_BATCH = int(os.environ.get("REMINDER_BATCH", "1000"))
    REMINDER_MAX_ATTEMPTS = int(os.environ.get("REMINDER_MAX_ATTEMPTS", "5"))
    REMINDER_RETRY_SECONDS = float(os.environ.get("REMINDER_RETRY_SECONDS", "60"))
    #: SMTP connections a tick sends on at once (threads; each connection carries many messages).
    REMINDER_SMTP_CONNECTIONS = int(os.environ.get("REMINDER_SMTP_CONNECTIONS", "8"))
    #: At most this many sent e-mails are recorded in one commit (the at-least-once window, see README).
    #: How often an open page asks for the unread count shown in the header.
    REMINDER_BADGE_POLL_SECONDS = int(os.environ.get("REMINDER_BADGE_POLL_SECONDS", "60"))

    PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "50"))
    #: The risk desk reads stored prompts (risk_prompts); older than this, they are found again before a view
    #: (the scheduler refreshes them every third of it, so a view rarely waits). 0: found again on every view.
    RISK_PROMPTS_MAX_AGE_SECONDS = float(os.environ.get("RISK_PROMPTS_MAX_AGE_SECONDS", "900"))
    #: Uploaded documents (apprenticeships) live here, outside the database; each file at most this size.
    #: With several web machines this must be storage they all share (NFS or similar): see docs/deploy.md.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    #: Uploaded .xlsx imports are checked before openpyxl parses them (app/core/xlsx.py ``open_upload``): the
    #: zip archive's members, their total and single uncompressed size, their compression ratio (a member over
    #: 1 MB must not expand more than this many times), and the rows each sheet declares (``<dimension>``).
    IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(40 * 1024 * 1024)))
    IMPORT_MAX_MEMBER_BYTES = int(os.environ.get("IMPORT_MAX_MEMBER_BYTES", str(25 * 1024 * 1024)))
    IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "200"))
    IMPORT_MAX_MEMBERS = int(os.environ.get("IMPORT_MAX_MEMBERS", "100"))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "10000"))
    #: Passwords must reach at least this zxcvbn score (0–4; 3 = "safely unguessable": about 10^10 guesses).
    PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

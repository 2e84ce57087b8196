"""The one settings module. Every value comes from the environment (django-environ), parsed strictly."""

from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="heatline-demo-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "heatline.core",
    "heatline.registry",
    "heatline.outbox",
    "heatline.requests",
    "heatline.proactive",
    "heatline.telemetry",
    "heatline.weather",
    "heatline.inspections",
    "heatline.joint",
    "heatline.incidents",
    "heatline.integrations",
    "heatline.reports",
    "heatline.training",
    "heatline.maps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "heatline.core.middleware.DatabaseUnavailableMiddleware",
    "heatline.core.middleware.OutOfRangeInputMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "heatline.urls"
WSGI_APPLICATION = "heatline.wsgi.application"
ASGI_APPLICATION = "heatline.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "heatline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "heatline.core.context_processors.navigation",
            ],
        },
    },
]

# Database: embedded SQLite (WAL) by default; PostgreSQL in production via DATABASE_URL.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'heatline.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server; the intake's statements (marked `PREPARED`) prepared once per
    # connection, so that they skip parsing and planning (PostgreSQL's CPU per intake 5.0 → 3.3 ms,
    # issue 3); every other statement planned for its own values (heatline/core/pgcursor.py).
    # Off (DATABASE_PREPARED_STATEMENTS=false) behind a pooler that cannot keep prepared statements.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        from heatline.core.pgcursor import PreparingCursor

        # (psycopg prepares nothing on its own below 2**31 runs; a marked statement at once)
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, cursor_factory=PreparingCursor, prepare_threshold=2**31 - 1
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.Staff"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock an account+address out after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
# Project-wide strings (templates/, core, registry, outbox); every other app keeps its own locale/.
LOCALE_PATHS = [BASE_DIR / "heatline" / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# Optional integrations, off by default (HEATLINE_USE_<NAME>).
HEATLINE_USE_WEBHOOK = env.bool("HEATLINE_USE_WEBHOOK", default=False)
# SMS gateway: "log" (default: SMS are written to the log), "aliyun" (dysmsapi) or "tencent" (Tencent Cloud SMS).
HEATLINE_SMS_PROVIDER = env.str("HEATLINE_SMS_PROVIDER", default="log")
HEATLINE_SMS_ACCESS_KEY_ID = env.str("HEATLINE_SMS_ACCESS_KEY_ID", default="")
HEATLINE_SMS_ACCESS_KEY_SECRET = env.str("HEATLINE_SMS_ACCESS_KEY_SECRET", default="")
HEATLINE_SMS_SIGN_NAME = env.str("HEATLINE_SMS_SIGN_NAME", default="")
HEATLINE_SMS_TEMPLATE_CODE = env.str("HEATLINE_SMS_TEMPLATE_CODE", default="")
HEATLINE_SMS_TEMPLATE_PARAM = env.str("HEATLINE_SMS_TEMPLATE_PARAM", default="content")
HEATLINE_SMS_APP_ID = env.str("HEATLINE_SMS_APP_ID", default="")  # Tencent: SmsSdkAppId
HEATLINE_SMS_ENDPOINT = env.str("HEATLINE_SMS_ENDPOINT", default="")  # the vendor's, unless set (tests)
HEATLINE_SMS_CALLBACK_TOKEN = env.str("HEATLINE_SMS_CALLBACK_TOKEN", default="")  # in the receipt URLs
HEATLINE_USE_SMS = env.bool("HEATLINE_USE_SMS", default=HEATLINE_SMS_PROVIDER in ("aliyun", "tencent"))
if HEATLINE_SMS_PROVIDER not in ("log", "aliyun", "tencent"):
    raise ImproperlyConfigured("HEATLINE_SMS_PROVIDER must be log, aliyun or tencent")
HEATLINE_WEBHOOK_URL = env.str("HEATLINE_WEBHOOK_URL", default="")
# The 12345/12319 exchange's signing secret: the demo one only while DEBUG is on; in production it must be set
# (as SECRET_KEY must), and the demo value is refused, so pushes signed with it are never accepted there.
DEMO_EXCHANGE_SECRET = "heatline-exchange-demo-secret"
HEATLINE_EXCHANGE_SECRET = env.str(
    "HEATLINE_EXCHANGE_SECRET", default=DEMO_EXCHANGE_SECRET if DEBUG else environ.Env.NOTSET
)
if not DEBUG and HEATLINE_EXCHANGE_SECRET in ("", DEMO_EXCHANGE_SECRET):
    raise ImproperlyConfigured(
        "HEATLINE_EXCHANGE_SECRET must be set to the secret agreed with the 12345/12319 platform when DEBUG is off "
        "(生产环境必须设置 HEATLINE_EXCHANGE_SECRET,不能使用演示密钥)"
    )
HEATLINE_EXCHANGE_WEBHOOK_URL = env.str("HEATLINE_EXCHANGE_WEBHOOK_URL", default="")
# Click-to-call: the softphone's URL template, `{number}` replaced by the number to dial (e.g. `sip:{number}`,
# or `http://127.0.0.1:9000/dial?to={number}` for a softphone's local HTTP API).
HEATLINE_DIAL_URL = env.str("HEATLINE_DIAL_URL", default="tel:{number}")
# Live screens (core/live.py): how often each web process reads the outbox for the open browsers, and how long
# one stream lasts before the browser reconnects (and its session is checked again).
HEATLINE_LIVE_POLL = env.float("HEATLINE_LIVE_POLL", default=0.25)
HEATLINE_LIVE_MAX_SECONDS = env.float("HEATLINE_LIVE_MAX_SECONDS", default=1800)
# Where residents reach the public page (links in SMS, e.g. the web callback); the demo's own address by default.
HEATLINE_PUBLIC_BASE_URL = env.str(
    "HEATLINE_PUBLIC_BASE_URL", default=f"http://127.0.0.1:{env.int('HEATLINE_PORT', default=8000)}"
)
HEATLINE_WORKER_IDLE_SECONDS = env.float("HEATLINE_WORKER_IDLE_SECONDS", default=2.0)
# `heatline pbx-bridge`: the Asterisk Manager Interface (manager.conf) the call events are read from.
HEATLINE_AMI_HOST = env.str("HEATLINE_AMI_HOST", default="127.0.0.1")
HEATLINE_AMI_PORT = env.int("HEATLINE_AMI_PORT", default=5038)
HEATLINE_AMI_USERNAME = env.str("HEATLINE_AMI_USERNAME", default="")
HEATLINE_AMI_SECRET = env.str("HEATLINE_AMI_SECRET", default="")
# `heatline telemetry-mqtt` (issue 19): the broker gateways publish readings to, e.g.
# mqtt://user:pass@broker:1883 or mqtts://… (TLS, the system's CA certificates); empty: the command refuses.
HEATLINE_MQTT_URL = env.str("HEATLINE_MQTT_URL", default="")
HEATLINE_MQTT_TOPIC = env.str("HEATLINE_MQTT_TOPIC", default="heatline/readings/+")
# A fixed client id with a persistent session: readings published while the subscriber restarts wait at the broker.
HEATLINE_MQTT_CLIENT_ID = env.str("HEATLINE_MQTT_CLIENT_ID", default="heatline-telemetry")
# Going live (issue 18): `make run` loads the demo utility into an empty database unless HEATLINE_DEMO is false;
# then it runs `heatline setup` with the company's name and the administrator's account below instead.
HEATLINE_DEMO = env.bool("HEATLINE_DEMO", default=True)
HEATLINE_COMPANY_NAME = env.str("HEATLINE_COMPANY_NAME", default="供热公司")
HEATLINE_ADMIN_USERNAME = env.str("HEATLINE_ADMIN_USERNAME", default="admin")
# The map's base layer (issue 21): a tile URL template ({z}/{x}/{y}, {s} for subdomains) with its attribution,
# e.g. 天地图 with the utility's key; empty: no tiles, the utility's own buildings and pipes are the map (no
# network needed). HEATLINE_MAP_TILE_DATUM is the datum the tiles are drawn in: wgs84 (天地图) or gcj02
# (AMap, Tencent); Heatline stores WGS84 and converts only for display.
HEATLINE_MAP_TILE_URL = env.str("HEATLINE_MAP_TILE_URL", default="")
HEATLINE_MAP_TILE_ATTRIBUTION = env.str("HEATLINE_MAP_TILE_ATTRIBUTION", default="")
HEATLINE_MAP_TILE_SUBDOMAINS = env.str("HEATLINE_MAP_TILE_SUBDOMAINS", default="abc")
HEATLINE_MAP_TILE_DATUM = env.str("HEATLINE_MAP_TILE_DATUM", default="wgs84")
if HEATLINE_MAP_TILE_DATUM not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured(
        "HEATLINE_MAP_TILE_DATUM must be wgs84 or gcj02 (底图坐标系须为 wgs84 或 gcj02)"
    )
# How long a one-time sign-in link (`heatline signin-link`) stays valid if nobody uses it.
HEATLINE_SIGNIN_LINK_DAYS = env.int("HEATLINE_SIGNIN_LINK_DAYS", default=7)
# Outdoor temperature (issue 19): the daily forecast the utility buys, fetched by `heatline weather-fetch` and
# by the worker every few hours when the URL is set (a QWeather v7 daily endpoint, e.g.
# https://devapi.qweather.com/v7/weather/7d); the location is the provider's city id or "lon,lat".
HEATLINE_WEATHER_URL = env.str("HEATLINE_WEATHER_URL", default="")
HEATLINE_WEATHER_KEY = env.str("HEATLINE_WEATHER_KEY", default="")
HEATLINE_WEATHER_LOCATION = env.str("HEATLINE_WEATHER_LOCATION", default="")
HEATLINE_WEATHER_EVERY_HOURS = env.float("HEATLINE_WEATHER_EVERY_HOURS", default=3.0)
HEATLINE_WEATHER_TIMEOUT = env.float("HEATLINE_WEATHER_TIMEOUT", default=10.0)
# The cold-snap outlook's staffing hint: minutes an operator spends on one call (talk and registration).
HEATLINE_OUTLOOK_HANDLE_MINUTES = env.float("HEATLINE_OUTLOOK_HANDLE_MINUTES", default=6.0)
if HEATLINE_WEATHER_EVERY_HOURS <= 0 or HEATLINE_WEATHER_TIMEOUT <= 0 or HEATLINE_OUTLOOK_HANDLE_MINUTES <= 0:
    raise ImproperlyConfigured(
        "HEATLINE_WEATHER_EVERY_HOURS, HEATLINE_WEATHER_TIMEOUT and HEATLINE_OUTLOOK_HANDLE_MINUTES must be positive"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

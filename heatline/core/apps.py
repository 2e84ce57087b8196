from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "heatline.core"
    label = "core"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from heatline.core.models import RuleSetting
        from heatline.core.rules import RULES

        RULES.forget_on(RuleSetting)
        _cache_long_statements()


def _cache_long_statements() -> None:
    """psycopg keeps the parsed form of a statement (where its %s are) only for statements of up to 50
    parameters and 4,096 bytes; longer ones are parsed again on every run. The intake writes a request with
    its clocks, events and outbox rows in one statement of about 130 parameters (`insert_family`), a few
    shapes in all: raise the limits so that those are parsed once per process (its cache holds the 128
    statements used last). A psycopg without these settings is left as it is."""
    try:
        from psycopg import _queries
    except ImportError:  # SQLite only
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS") and hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 400)
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32_768)

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # The dashboard is cached for a minute per filter; each test starts without it.
    cache.clear()
    yield
    cache.clear()

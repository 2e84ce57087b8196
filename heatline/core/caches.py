"""Reference data kept briefly in each process: every intake reads the rules, the categories, the districts
and its API token, which change a few times a season (intake throughput, issue 3).

A change saved in this process drops the cache at once (`forget_on` connects the models' save and delete
signals); other web and worker processes see it within `seconds`.
"""

import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


class ProcessCache(Generic[T]):
    """What `load()` returns, kept in the process for `seconds`."""

    every: ClassVar[list["ProcessCache[Any]"]] = []

    def __init__(self, name: str, load: Callable[[], T], *, seconds: float = 30.0) -> None:
        self.name = name
        self.load = load
        self.seconds = seconds
        self._kept: tuple[float, T] | None = None
        ProcessCache.every.append(self)

    def get(self) -> T:
        now = time.time()
        if self._kept is None or now - self._kept[0] >= self.seconds:
            self._kept = (now, self.load())
        return self._kept[1]

    def forget(self, **_kwargs: object) -> None:
        self._kept = None

    def forget_on(self, *senders: type[models.Model]) -> None:
        """Drop the cache when a row of one of `senders` is saved or deleted in this process."""
        for sender in senders:
            for signal in (post_save, post_delete):
                signal.connect(
                    self.forget, sender=sender, dispatch_uid=f"{self.name}_forget_{sender.__name__}"
                )

    @classmethod
    def forget_all(cls) -> None:
        """Every cache dropped (tests: a rolled-back row must not linger in the process)."""
        for cache in cls.every:
            cache.forget()

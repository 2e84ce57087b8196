"""第十条 培训: quarterly trainings of hotline operators and operations staff, their topics and attendance."""

from typing import Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel
from heatline.registry.models import Role


class Topic(models.TextChoices):
    """The three subjects the rule book names."""

    CLASSIFICATION = "classification", _("诉求分类")
    PROCESS = "process", _("办理流程")
    COMMUNICATION = "communication", _("沟通技巧")


# Who must be trained every quarter: the hotline and the operations staff (第十条).
TRAINED_ROLES: Final = frozenset({Role.OPERATOR, Role.DISTRICT, Role.WORKER, Role.CREW})


class TrainingSession(BaseModel):
    """One training held on a day; its quarter is derived from the day when recorded."""

    held_on = models.DateField(_("培训日期"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    title = models.CharField(_("培训主题"), max_length=100)
    covers_classification = models.BooleanField(_("诉求分类"), default=False)
    covers_process = models.BooleanField(_("办理流程"), default=False)
    covers_communication = models.BooleanField(_("沟通技巧"), default=False)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("培训人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trainer_name = models.CharField(_("培训人(外部)"), max_length=50, blank=True)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["year", "quarter"], name="training_quarter_idx")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"

    def topics(self) -> list[Topic]:
        return [
            topic
            for topic, covered in (
                (Topic.CLASSIFICATION, self.covers_classification),
                (Topic.PROCESS, self.covers_process),
                (Topic.COMMUNICATION, self.covers_communication),
            )
            if covered
        ]

    @property
    def trainer_display(self) -> str:
        if self.trainer_id is not None and self.trainer is not None:
            return self.trainer.name or self.trainer.username
        return self.trainer_name


class Attendance(models.Model):
    """One staff member present at one session."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("培训"), on_delete=models.CASCADE, related_name="attendances"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("参训人员"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )

    class Meta:
        verbose_name = _("参训记录")
        verbose_name_plural = _("参训记录")
        constraints = [models.UniqueConstraint(fields=["session", "staff"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.staff_id}"

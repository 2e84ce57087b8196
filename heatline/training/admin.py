from django.contrib import admin

from heatline.training.models import Attendance, TrainingSession


class AttendanceInline(admin.TabularInline[Attendance, TrainingSession]):
    model = Attendance
    extra = 0
    autocomplete_fields = ["staff"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin[TrainingSession]):
    list_display = ["held_on", "year", "quarter", "title", "trainer", "trainer_name"]
    list_filter = ["year", "quarter"]
    search_fields = ["title", "trainer_name"]
    inlines = [AttendanceInline]
    readonly_fields = ["year", "quarter", "recorded_by"]

    def has_add_permission(self, request: object) -> bool:
        # Recorded through the training page (the service derives the quarter and checks attendees).
        return False

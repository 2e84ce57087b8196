from django.contrib import admin

from heatline.outbox.models import Notification, Outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin[Outbox]):
    list_display = ("id", "topic", "key", "created_at", "attempts", "delivered_at", "failed_at")
    list_filter = ("topic",)
    search_fields = ("key",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("recipient", "title", "created_at", "read_at")

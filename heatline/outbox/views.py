from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from heatline.outbox.models import Notification


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The staff member's in-app inbox; opening it marks everything shown as read."""
    notifications = list(
        Notification.objects.filter(recipient_id=request.user.pk).order_by("-created_at")[:100]
    )
    unread = [n.pk for n in notifications if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(request, "outbox/inbox.html", {"notifications": notifications, "unread": set(unread)})

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from heatline.core.readiness import readiness_checks
from heatline.core.selectors import dashboard_counts
from heatline.registry.models import Role, Staff
from heatline.registry.signin import signin_complete, signin_token_generator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, Staff)
    from heatline.requests.api import HOTSPOT_HEADS
    from heatline.requests.hotspots import hotspots_visible

    staff = request.user
    hotspots = list(hotspots_visible(viewer=staff).filter(acknowledged_at=None)[:10])
    return render(
        request,
        "core/home.html",
        {
            "counts": dashboard_counts(viewer=staff),
            "hotspots": hotspots,
            "may_acknowledge": staff.is_superuser or staff.role in HOTSPOT_HEADS,
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness with the database: 200 when a query answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return JsonResponse({"status": "error", "database": str(error)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


class SigninView(auth_views.PasswordResetConfirmView):
    """/accounts/signin/<uidb64>/<token>/: a one-time link (heatline/registry/signin.py) lets its owner set a
    password (the password validators apply) and signs them in; the link is dead afterwards. A wrong, used
    or expired link gets a page saying so and what to do."""

    token_generator = signin_token_generator
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    template_name = "registration/signin.html"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        assert isinstance(self.user, Staff)
        signin_complete(staff=self.user)
        messages.success(self.request, _("密码已设置,您已登录。"))
        return response


def is_administrator(user: Any) -> bool:
    return (
        isinstance(user, Staff) and user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN)
    )


@login_required
def setup_checklist(request: HttpRequest) -> HttpResponse:
    """/setup/: the go-live checklist (administrators only): what is still missing before the first call."""
    if not is_administrator(request.user):
        raise PermissionDenied
    checks = readiness_checks()
    return render(
        request,
        "core/setup.html",
        {"checks": checks, "open_count": sum(1 for check in checks if not check.ok)},
    )

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from heatline.core.selectors import dashboard_counts
from heatline.registry.models import Staff


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, Staff)
    return render(request, "core/home.html", {"counts": dashboard_counts(viewer=request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness with the database: 200 when a query answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return JsonResponse({"status": "error", "database": str(error)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/coming.html", {"title": "工单"})


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "core/coming.html", {"title": "我的待办"})


@login_required
def callbacks(request: HttpRequest) -> HttpResponse:
    return render(request, "core/coming.html", {"title": "回访"})


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "core/coming.html", {"title": number})


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    return render(request, "core/coming.html", {"title": "来电登记"})

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Until the web app lands, the admin is the way in."""
    return redirect("admin:index")

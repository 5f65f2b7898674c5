"""The designed 404 page, even with DEBUG on.

`make run` serves with DEBUG on (a fresh clone has no SECRET_KEY), and Django then answers
a 404 with its technical page: the URL patterns and settings hints, on public pages. This
middleware puts our 404 page in its place; the API keeps its JSON.
"""

from django.conf import settings
from django.shortcuts import render

TECHNICAL_404_MARK = b"DEBUG = True"


class DesignedNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and TECHNICAL_404_MARK in response.content
        ):
            return render(request, "404.html", status=404)
        return response

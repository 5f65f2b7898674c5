from django.http import HttpResponse
from django.urls import path

from compliance.urls import urlpatterns as site


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *site]

from django.urls import path

from . import url_check, views

app_name = "takedowns"

urlpatterns = [
    path("", views.removal_form, name="form"),
    path("check-urls/", url_check.check_urls, name="url-check"),
    path("sent/<str:token>/", views.sent, name="sent"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/resend/", views.resend_verification, name="resend-verification"),
]

from django.urls import path

from . import optout_views, views

app_name = "takedowns"

urlpatterns = [
    path("", views.removal_form, name="form"),
    path("sent/<str:token>/", views.sent, name="sent"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/resend/", views.resend_verification, name="resend-verification"),
    path("opt-out/", optout_views.opt_out, name="opt-out"),
    path("opt-out/<str:key>/", optout_views.opt_out_verify, name="opt-out-verify"),
]

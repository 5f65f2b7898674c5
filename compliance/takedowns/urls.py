from django.urls import path

from . import counter_views, mine_views, optout_views, url_check, views

app_name = "takedowns"

urlpatterns = [
    path("", views.removal_form, name="form"),
    path("check-urls/", url_check.check_urls, name="url-check"),
    path("mine/", mine_views.mine, name="mine"),
    path("mine/sign-out/", mine_views.mine_sign_out, name="mine-sign-out"),
    path("mine/<str:token>/", mine_views.mine_sign_in, name="mine-sign-in"),
    path("counter-notice/", counter_views.counter_notice_form, name="counter-notice"),
    path("counter-notice/sent/", counter_views.counter_notice_sent, name="counter-notice-sent"),
    path(
        "counter-notice/verify/<str:token>/",
        counter_views.counter_notice_verify_link,
        name="counter-notice-verify",
    ),
    path("sent/<str:token>/", views.sent, name="sent"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/resend/", views.resend_verification, name="resend-verification"),
    path("opt-out/", optout_views.opt_out, name="opt-out"),
    path("opt-out/<str:key>/", optout_views.opt_out_verify, name="opt-out-verify"),
]

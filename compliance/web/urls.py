from django.urls import path

from . import views
from .feeds import PublishedItemsFeed
from .sitemaps import ItemSitemap, sitemap_page

urlpatterns = [
    path("", views.item_list, name="item_list"),
    # str, not slug: whatever slug ingest stored, its page is found (or a 404 is given).
    path("items/<str:slug>/", views.item_detail, name="item_detail"),
    path("feed/", PublishedItemsFeed(), name="item_feed"),
    path("sitemap.xml", sitemap_page, {"sitemaps": {"items": ItemSitemap}}, name="sitemap"),
    # The IndexNow key file, for the search engines to verify our submissions.
    path("<str:key>.txt", views.indexnow_key, name="indexnow_key"),
]

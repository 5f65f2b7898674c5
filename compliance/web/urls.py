from django.urls import path

from . import views
from .feeds import published_items_feed
from .sitemaps import sitemap_index, sitemap_page

urlpatterns = [
    path("", views.item_list, name="item_list"),
    # str, not slug: whatever slug ingest stored, its page is found (or a 404 is given).
    path("items/<str:slug>/", views.item_detail, name="item_detail"),
    # The opaque address public records use for an item (no title, no slug).
    path("items/ref/<int:pk>/", views.item_reference, name="item_reference"),
    path("feed/", published_items_feed, name="item_feed"),
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-items-<int:page>.xml", sitemap_page, name="sitemap_page"),
    # The IndexNow key file, for the search engines to verify our submissions.
    path("<str:key>.txt", views.indexnow_key, name="indexnow_key"),
]

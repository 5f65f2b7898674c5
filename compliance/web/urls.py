from django.urls import path
from django.views.decorators.cache import cache_control

from . import views
from .feeds import published_items_feed
from .sitemaps import sitemap_index, sitemap_page

# Like the pages, the feed and the sitemap may be cached only if revalidated on every use,
# so that a removed item leaves them at once.
revalidate = cache_control(public=True, max_age=0, must_revalidate=True)

urlpatterns = [
    path("", views.item_list, name="item_list"),
    # str, not slug: whatever slug ingest stored, its page is found (or a 404 is given).
    path("items/<str:slug>/", views.item_detail, name="item_detail"),
    # The opaque address public records use for an item (no title, no slug).
    path("items/ref/<int:pk>/", views.item_reference, name="item_reference"),
    path("feed/", revalidate(published_items_feed), name="item_feed"),
    path("sitemap.xml", revalidate(sitemap_index), name="sitemap"),
    path("sitemap-items-<int:page>.xml", revalidate(sitemap_page), name="sitemap_page"),
]

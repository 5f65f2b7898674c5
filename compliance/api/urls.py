"""/api/: the REST API under v1/, its OpenAPI schema and its documentation page.

/api/v1/          the browsable API's index (DRF), each resource below it
/api/schema/      the OpenAPI 3 document (drf-spectacular)
/api/docs/        Swagger UI over that document, served from our own static files
                  (drf-spectacular-sidecar): no CDN, works offline
"""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from .audit_events import AuditEventViewSet
from .block_rules import BlockRuleViewSet
from .checks import CheckView
from .feeds import FeedViewSet
from .items import SLUG_PATTERN, ItemViewSet
from .licence_evidence import LicenceEvidenceView
from .origins import OriginViewSet
from .removal_requests import RemovalRequestViewSet
from .reports import ReportViewSet

app_name = "api"


class Index(APIRootView):
    """The resources of the courtesy API. Documentation: /api/docs/; schema: /api/schema/."""

    permission_classes = [AllowAny]  # a list of links: anyone may see where things are


@csrf_exempt  # answers the same to every method; the CSRF page would be HTML
def not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404 like the API's own."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


router = DefaultRouter()
router.APIRootView = Index
router.include_format_suffixes = False  # one URL per resource: ?format= or Accept choose
router.register("items", ItemViewSet, basename="item")
router.register("origins", OriginViewSet, basename="origin")
router.register("feeds", FeedViewSet, basename="feed")
router.register("removal-requests", RemovalRequestViewSet, basename="removal-request")
router.register("block-rules", BlockRuleViewSet, basename="block-rule")
router.register("reports", ReportViewSet, basename="report")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    re_path(
        rf"^v1/items/(?P<slug>{SLUG_PATTERN})/licence-evidence/$",
        LicenceEvidenceView.as_view(),
        name="item-licence-evidence",
    ),
    path("v1/checks/", CheckView.as_view(), name="checks"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Only paths with their trailing slash: without it, APPEND_SLASH redirects first.
    re_path(r"^[\s\S]*/$", not_found),
]

from django.urls import path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ginr.api import views

urlpatterns = [
    path(
        "openapi.json",
        SpectacularAPIView.as_view(renderer_classes=[OpenApiJsonRenderer]),
        name="ginr-openapi",
    ),
    path(
        "docs",
        SpectacularSwaggerView.as_view(url_name="ginr-openapi"),
        name="ginr-docs",
    ),
    path(
        "dashboard/tdspList",
        views.TdspGinrListView.as_view(),
        name="ginr-tdsp-list",
    ),
    path("types/tdsp", views.TdspTypeListView.as_view(), name="ginr-types-tdsp"),
    path(
        "ginrRequest/<str:reference>",
        views.GinrDetailView.as_view(),
        name="ginr-request-detail",
    ),
    path(
        "ginrRequest/<str:reference>/history",
        views.GinrHistoryView.as_view(),
        name="ginr-request-history",
    ),
    path("changes", views.ChangeFeedView.as_view(), name="ginr-changes"),
]

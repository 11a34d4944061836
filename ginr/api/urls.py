from django.urls import path

from ginr.api import views

urlpatterns = [
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

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from ginr_m2m import health, metrics
from ginr_m2m.benchmark import bare_json
from oauth_clients import views as client_views

# Only the authorization-server endpoints this service offers are routed: no
# authorize, device, application-management or registration views.
oauth_patterns = (
    [
        path("token", client_views.TokenView.as_view(), name="token"),
        path("revoke", client_views.RevokeTokenView.as_view(), name="revoke-token"),
        path(
            "introspect", client_views.IntrospectTokenView.as_view(), name="introspect"
        ),
    ],
    "oauth2_provider",
)

urlpatterns = [
    path("oauth/", include(oauth_patterns)),
    path(
        ".well-known/oauth-authorization-server",
        client_views.ServerMetadataView.as_view(),
        name="oauth-authorization-server-metadata",
    ),
    path("ginr/rest/", include("ginr.api.urls")),
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

# The benchmark's ceiling (benchmarks/run.py); off unless asked for.
if settings.BENCHMARK_BARE_VIEW:
    urlpatterns.append(path("benchmark/bare", bare_json, name="benchmark-bare"))

handler400 = "ginr_m2m.problems.bad_request"
handler403 = "ginr_m2m.problems.permission_denied"
handler404 = "ginr_m2m.problems.page_not_found"
# A database error raised outside a view (in a middleware) is a 503 too.
handler500 = "ginr_m2m.problems.server_error"

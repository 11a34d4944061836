from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from oauth2_provider import views as oauth_views

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
        oauth_views.OAuthServerMetadataView.as_view(),
        name="oauth-authorization-server-metadata",
    ),
    path("ginr/rest/", include("ginr.api.urls")),
    path("admin/", admin.site.urls),
]

# The benchmark's ceiling (benchmarks/run.py); off unless asked for.
if settings.BENCHMARK_BARE_VIEW:
    urlpatterns.append(path("benchmark/bare", bare_json, name="benchmark-bare"))

handler400 = "ginr_m2m.problems.bad_request"
handler403 = "ginr_m2m.problems.permission_denied"
handler404 = "ginr_m2m.problems.page_not_found"
handler500 = "ginr_m2m.problems.server_error"

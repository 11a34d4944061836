from django.contrib import admin
from django.urls import include, path
from oauth2_provider import views as oauth_views

from ginr_m2m import health, metrics

# Only the authorization-server views this service uses are routed: no
# authorize, device, application-management, registration or introspection.
oauth_patterns = (
    [path("token", oauth_views.TokenView.as_view(), name="token")],
    "oauth2_provider",
)

urlpatterns = [
    path("oauth/", include(oauth_patterns)),
    path("ginr/rest/", include("ginr.api.urls")),
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

# A database error raised outside a view (in a middleware) is a 503 too.
handler500 = "ginr_m2m.problems.server_error"

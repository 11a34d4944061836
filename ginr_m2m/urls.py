from django.contrib import admin
from django.urls import include, path
from oauth2_provider import views as oauth_views

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
]

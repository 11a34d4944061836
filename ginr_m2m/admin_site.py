"""The admin site for ERCOT staff and auditors.

With ADMIN_REQUIRE_OTP on (the production default) it is django-otp's
OTPAdminSite: the login form asks for a TOTP code and only a session verified
by one may use the admin. With it off, it is Django's plain admin, and every
page says so.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class StaffAdminSite(OTPAdminSite):
    site_header = "GINR M2M administration"
    site_title = "GINR M2M"
    index_title = "Machine clients and audit logs"
    # The service has no public site to link to.
    site_url = None

    def __init__(self, name="admin"):
        super().__init__(name)

    # Read per request, so a test or a deployment can switch it in settings.
    @property
    def login_form(self):
        if settings.ADMIN_REQUIRE_OTP:
            return OTPAdminAuthenticationForm
        return AdminAuthenticationForm

    @property
    def login_template(self):
        if settings.ADMIN_REQUIRE_OTP:
            return OTPAdminSite.login_template
        return None

    def has_permission(self, request):
        if settings.ADMIN_REQUIRE_OTP:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

    def each_context(self, request):
        context = super().each_context(request)
        context["otp_required"] = settings.ADMIN_REQUIRE_OTP
        return context

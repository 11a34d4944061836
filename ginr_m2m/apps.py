from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "ginr_m2m.admin_site.StaffAdminSite"

from django.contrib import admin

from ginr.models import Assignment, ChangeEvent, Ginr, ReportImport, Tdsp


class ReadOnlyAdmin(admin.ModelAdmin):
    """RIOO data comes from ERCOT's reports through the import commands."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tdsp)
class TdspAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "active", "successor"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["tdsp", "role", "source", "created_at"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ginr)
class GinrAdmin(ReadOnlyAdmin):
    list_display = [
        "inr",
        "project_name",
        "status",
        "size",
        "study_phase",
        "modified_at",
    ]
    list_filter = ["status", "size", "agreement", "fuel", "cdr_zone"]
    search_fields = ["inr", "project_name", "interconnecting_entity"]
    inlines = [AssignmentInline]


@admin.register(ReportImport)
class ReportImportAdmin(ReadOnlyAdmin):
    list_display = ["report_month", "file_name", "created", "updated", "unchanged"]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "ginr",
        "kind",
        "field",
        "old_value",
        "new_value",
        "tdsp",
        "report_month",
        "recorded_at",
    ]
    list_filter = ["kind", "report_month"]
    search_fields = ["ginr__inr", "field"]
    list_select_related = ["ginr", "tdsp"]
    show_full_result_count = False

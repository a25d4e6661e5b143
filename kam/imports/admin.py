from django.contrib import admin
from django.http import HttpRequest

from kam.imports.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """History only: imports are made with `kam import` or the imports page, never edited."""

    list_display = [
        "started_at",
        "kind",
        "file_name",
        "actor_label",
        "rows",
        "created",
        "updated",
        "unchanged",
    ]
    list_filter = ["kind"]
    search_fields = ["file_name", "actor_label", "file_sha256"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

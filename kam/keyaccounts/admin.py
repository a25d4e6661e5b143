"""Read-only views of the history: assignments and handovers change only through the services
(handover pages, API, status decisions, imports), which keep the rules and write audit rows."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.keyaccounts.models import Assignment, Handover, WorkloadLimit


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ["client", "manager", "start", "end", "source", "assigned_by"]
    list_filter = ["source", "end"]
    search_fields = ["client__code", "client__name", "manager__code", "manager__name"]
    list_select_related = ["client", "manager", "assigned_by"]


@admin.register(Handover)
class HandoverAdmin(ReadOnly):
    list_display = ["client", "from_manager", "to_manager", "effective", "cause", "acknowledged_at"]
    list_filter = ["cause", "over_limit"]
    search_fields = ["client__code", "client__name", "to_manager__name"]
    list_select_related = ["client", "from_manager", "to_manager"]


@admin.register(WorkloadLimit)
class WorkloadLimitAdmin(ReadOnly):
    list_display = ["manager", "max_accounts", "max_revenue", "updated_by", "updated_at"]

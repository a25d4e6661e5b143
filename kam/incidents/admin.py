"""Read-only views of incidents and the catalogue of sanctions: both change only through the
services (the incident pages, the API), which check who may do what, keep the story and write
audit rows."""

from __future__ import annotations

from django.contrib import admin

from kam.incidents.models import CorrectiveAction, Incident, IncidentEvent, Sanction, SanctionKind
from kam.keyaccounts.admin import ReadOnly


class EventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "state_before", "state", "actor_label", "text")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class SanctionInline(admin.TabularInline):
    model = Sanction
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "employee", "amount", "percent", "comment", "decided_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ActionInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    can_delete = False
    fields = readonly_fields = ("description", "owner", "due", "done_on", "outcome")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = [
        "__str__",
        "rule",
        "subject_key",
        "violator",
        "handler",
        "severity",
        "state",
        "deadline",
        "opened_at",
    ]
    list_filter = ["state", "kind", "severity", "subprocess"]
    search_fields = ["subject_key", "rule__code", "violator__name", "client__name"]
    list_select_related = ["rule", "violator", "handler"]
    inlines = [EventInline, SanctionInline, ActionInline]


@admin.register(SanctionKind)
class SanctionKindAdmin(ReadOnly):
    list_display = ["code", "name_ru", "name_en", "measure", "is_sanction", "is_active", "position"]
    list_filter = ["measure", "is_active"]

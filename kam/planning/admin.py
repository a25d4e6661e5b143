"""Read-only views of plans: they change only through the services (pages, API), which check
who may do what, keep the history and write audit rows; a closed plan is never changed."""

from __future__ import annotations

from django.contrib import admin

from kam.keyaccounts.admin import ReadOnly
from kam.planning.models import DevelopmentPlan, PlanAction, PlanEvent, PlanTarget


class TargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "kind",
        "product_group",
        "value",
        "proposed_value",
        "actual",
        "met",
        "miss_reason",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ActionInline(admin.TabularInline):
    model = PlanAction
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "kind",
        "title",
        "due",
        "responsible",
        "status",
        "done_on",
        "outcome",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EventInline(admin.TabularInline):
    model = PlanEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "state_before", "state", "actor", "comment")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(DevelopmentPlan)
class DevelopmentPlanAdmin(ReadOnly):
    list_display = ["client", "period_start", "period_kind", "owner", "state", "approved_at"]
    list_filter = ["state", "period_kind", "period_start"]
    search_fields = ["client__code", "client__name", "owner__name"]
    list_select_related = ["client", "owner"]
    inlines = [TargetInline, ActionInline, EventInline]

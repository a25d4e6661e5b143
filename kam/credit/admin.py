from django.contrib import admin
from django.http import HttpRequest

from kam.credit.models import CreditDecision


@admin.register(CreditDecision)
class CreditDecisionAdmin(admin.ModelAdmin):
    """Decisions are immutable once recorded: viewable here, made by import or the committee."""

    list_display = [
        "decision_no",
        "client",
        "date",
        "credit_limit",
        "max_terms_days",
        "valid_until",
        "source",
    ]
    list_filter = ["source"]
    search_fields = ["decision_no", "client__code", "client__name"]
    date_hierarchy = "date"
    list_select_related = ["client"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

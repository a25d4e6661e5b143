"""The ledger in the admin is read-only: it comes from imports, which keep the derived
documents and monthly roll-up consistent; an edit here would silently break them."""

from django.contrib import admin
from django.http import HttpRequest

from kam.ledger.models import MonthlyRollup, Payment, SalesDocument, SalesLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SalesLine)
class SalesLineAdmin(ReadOnlyAdmin):
    list_display = ["doc_no", "line_no", "date", "client", "product_group", "quantity", "amount"]
    list_filter = ["product_group"]
    search_fields = ["doc_no", "client__code", "client__name", "product_code"]
    date_hierarchy = "date"
    list_select_related = ["client"]
    show_full_result_count = False


@admin.register(SalesDocument)
class SalesDocumentAdmin(ReadOnlyAdmin):
    list_display = ["doc_no", "date", "client", "amount", "payment_terms_days", "due_date"]
    search_fields = ["doc_no", "client__code", "client__name"]
    date_hierarchy = "date"
    list_select_related = ["client"]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["doc_no", "date", "client", "amount", "invoice_doc_no"]
    search_fields = ["doc_no", "invoice_doc_no", "client__code", "client__name"]
    date_hierarchy = "date"
    list_select_related = ["client"]
    show_full_result_count = False


@admin.register(MonthlyRollup)
class MonthlyRollupAdmin(ReadOnlyAdmin):
    list_display = ["client", "month", "product_group", "revenue", "margin", "documents"]
    list_filter = ["product_group"]
    search_fields = ["client__code", "client__name"]
    list_select_related = ["client"]
    show_full_result_count = False

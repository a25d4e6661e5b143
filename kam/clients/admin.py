from django.contrib import admin

from kam.clients.models import Client, Contact, HoldingGroup


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(HoldingGroup)
class HoldingGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tax_id", "status", "industry", "region", "responsible"]
    list_filter = ["status", "industry", "region"]
    search_fields = ["code", "name", "tax_id"]
    raw_id_fields = ["group"]
    list_select_related = ["responsible"]
    inlines = [ContactInline]
    # The status changes by a recorded decision and the responsible manager by a handover
    # (assessment and key-account pages), never by editing the row here.
    readonly_fields = ["status", "responsible"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "position", "is_decision_maker"]
    search_fields = ["name", "client__name", "client__code"]
    raw_id_fields = ["client"]

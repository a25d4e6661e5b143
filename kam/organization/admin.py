from django.contrib import admin

from kam.organization.models import Department, Employee


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "head"]
    raw_id_fields = ["head"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "role", "manager", "user", "is_active"]
    list_filter = ["department", "role", "is_active"]
    search_fields = ["code", "name", "email"]
    raw_id_fields = ["manager", "user"]
    list_select_related = ["department", "manager", "user"]

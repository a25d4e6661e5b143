from django import forms
from django.contrib import admin

from kam.organization.models import Department, Employee


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "head"]
    raw_id_fields = ["head"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A department's kind decides what its staff may do (key accounts, acquisition …):
        # changing it would move every employee's rights at once.
        return ["kind"] if obj is not None else []


class EmployeeForm(forms.ModelForm):
    class Meta:
        model = Employee
        fields = [
            "code",
            "name",
            "email",
            "department",
            "role",
            "position",
            "manager",
            "user",
            "is_active",
        ]

    def clean(self) -> dict:
        from kam.keyaccounts.rules import key_accounts_kept_problem

        data = super().clean() or {}
        department = data.get("department")
        if self.instance.pk and department is not None:
            problem = key_accounts_kept_problem(self.instance, department)
            if problem:
                self.add_error("department", problem)
        return data


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    form = EmployeeForm
    list_display = ["code", "name", "department", "role", "manager", "user", "is_active"]
    list_filter = ["department", "role", "is_active"]
    search_fields = ["code", "name", "email"]
    raw_id_fields = ["manager", "user"]
    list_select_related = ["department", "manager", "user"]

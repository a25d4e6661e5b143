from django.urls import path

from kam.planning import plan_views, views

app_name = "planning"
urlpatterns = [
    # views.py: the lists and the settings.
    path("", views.my_plans_view, name="mine"),
    path("department/", views.department_view, name="department"),
    path("department/export.<str:fmt>", views.department_export_view, name="department_export"),
    path("settings/", views.settings_view, name="settings"),
    path("new/", views.plans_create_view, name="create_missing"),
    path("clients/<int:client_pk>/new/", views.plan_create_view, name="create"),
    # plan_views.py: one plan, its inline editing, workflow, close and exports.
    path("<int:pk>/", plan_views.plan_view, name="detail"),
    path("<int:pk>/print/", plan_views.plan_print_view, name="print"),
    path("<int:pk>/export.xlsx", plan_views.plan_xlsx_view, name="xlsx"),
    path("<int:pk>/submit/", plan_views.plan_submit_view, name="submit"),
    path("<int:pk>/approve/", plan_views.plan_approve_view, name="approve"),
    path("<int:pk>/return/", plan_views.plan_return_view, name="return"),
    path("<int:pk>/close/", plan_views.plan_close_view, name="close"),
    path("<int:pk>/summary/", plan_views.summary_edit_view, name="summary"),
    path("<int:pk>/targets/add/", plan_views.target_add_view, name="target_add"),
    path("<int:pk>/targets/<int:target_pk>/", plan_views.target_edit_view, name="target_edit"),
    path(
        "<int:pk>/targets/<int:target_pk>/remove/",
        plan_views.target_remove_view,
        name="target_remove",
    ),
    path("<int:pk>/actions/add/", plan_views.action_add_view, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/", plan_views.action_edit_view, name="action_edit"),
    path(
        "<int:pk>/actions/<int:action_pk>/remove/",
        plan_views.action_remove_view,
        name="action_remove",
    ),
]

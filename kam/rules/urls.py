from django.urls import path

from kam.rules import editor_views, version_views, views

app_name = "rules"
urlpatterns = [
    path("", views.rule_list_view, name="list"),
    path("export.<str:fmt>", views.rule_export_view, name="export"),
    path("new/", editor_views.rule_new_view, name="new"),
    path("check/", editor_views.check_view, name="check"),
    path("facts/", editor_views.facts_view, name="facts"),
    path("audit/", views.audit_run_view, name="audit_run"),
    path("audits/", views.audit_list_view, name="audits"),
    path("audits/<int:pk>/", views.audit_detail_view, name="audit_detail"),
    path("<slug:code>/", views.rule_detail_view, name="detail"),
    path("<slug:code>/disable/", version_views.rule_disable_view, name="disable"),
    path("<slug:code>/versions/new/", editor_views.version_new_view, name="version_new"),
    path("<slug:code>/versions/<int:number>/", views.rule_detail_view, name="version"),
    path(
        "<slug:code>/versions/<int:number>/edit/",
        editor_views.version_edit_view,
        name="version_edit",
    ),
    path(
        "<slug:code>/versions/<int:number>/dry-run/",
        version_views.dry_run_view,
        name="dry_run",
    ),
    path(
        "<slug:code>/versions/<int:number>/enable/",
        version_views.version_enable_view,
        name="version_enable",
    ),
]

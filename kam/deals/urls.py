from django.urls import path

from kam.deals import deal_views, prospect_views, views

app_name = "deals"
urlpatterns = [
    # views.py: the pipeline (board and table) and its export.
    path("", views.pipeline_view, name="pipeline"),
    path("export.<str:fmt>", views.pipeline_export_view, name="export"),
    # deal_views.py: a new deal, one deal's card, editing it, moving it.
    path("new/", deal_views.deal_new_view, name="new"),
    path("<int:pk>/", deal_views.deal_view, name="detail"),
    path("<int:pk>/edit/", deal_views.deal_edit_view, name="edit"),
    path("<int:pk>/move/", deal_views.deal_move_view, name="move"),
    # prospect_views.py: the prospects, one prospect's card, its statuses and conversion.
    path("prospects/", prospect_views.prospect_list_view, name="prospects"),
    path("prospects/export.<str:fmt>", prospect_views.prospect_export_view, name="prospect_export"),
    path("prospects/new/", prospect_views.prospect_new_view, name="prospect_new"),
    path("prospects/<int:pk>/", prospect_views.prospect_view, name="prospect"),
    path("prospects/<int:pk>/edit/", prospect_views.prospect_edit_view, name="prospect_edit"),
    path("prospects/<int:pk>/status/", prospect_views.prospect_status_view, name="prospect_status"),
    path(
        "prospects/<int:pk>/convert/",
        prospect_views.prospect_convert_view,
        name="prospect_convert",
    ),
]

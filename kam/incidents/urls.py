from django.urls import path

from kam.incidents import card_views, sanction_views, scorecard_views, views

app_name = "incidents"
urlpatterns = [
    # views.py: the inbox and its export.
    path("", views.inbox_view, name="inbox"),
    path("export.<str:fmt>", views.inbox_export_view, name="export"),
    # card_views.py: one incident and its lifecycle.
    path("<int:pk>/", card_views.incident_view, name="detail"),
    path("<int:pk>/explain/", card_views.explain_view, name="explain"),
    path("<int:pk>/investigate/", card_views.investigate_view, name="investigate"),
    path("<int:pk>/decide/", card_views.decide_view, name="decide"),
    path("<int:pk>/dismiss/", card_views.dismiss_view, name="dismiss"),
    path("<int:pk>/close/", card_views.close_view, name="close"),
    path("<int:pk>/comment/", card_views.comment_view, name="comment"),
    path(
        "<int:pk>/actions/<int:action_pk>/done/",
        card_views.action_done_view,
        name="action_done",
    ),
    # scorecard_views.py: the discipline scorecard and its tables' exports.
    path("scorecard/", scorecard_views.scorecard_view, name="scorecard"),
    path(
        "scorecard/<str:table>.<str:fmt>",
        scorecard_views.scorecard_export_view,
        name="scorecard_export",
    ),
    # sanction_views.py: the catalogue of sanctions.
    path("sanctions/", sanction_views.sanction_list_view, name="sanctions"),
    path("sanctions/new/", sanction_views.sanction_add_view, name="sanction_add"),
    path("sanctions/<int:pk>/", sanction_views.sanction_edit_view, name="sanction_edit"),
    path("sanctions/<int:pk>/use/", sanction_views.sanction_use_view, name="sanction_use"),
    path("sanctions/<int:pk>/delete/", sanction_views.sanction_delete_view, name="sanction_delete"),
]

from django.urls import path

from kam.keyaccounts import handover_views, history_views, views, workload_views

app_name = "keyaccounts"
urlpatterns = [
    path("", views.board_view, name="board"),
    path("mine/", views.mine_view, name="mine"),
    path("clients/<int:client_pk>/handover/", handover_views.handover_view, name="handover"),
    path(
        "managers/<int:employee_pk>/handover/",
        handover_views.bulk_handover_view,
        name="bulk_handover",
    ),
    path("handovers/", history_views.handover_list_view, name="handovers"),
    path("handovers/export.<str:fmt>", history_views.handover_export_view, name="handovers_export"),
    path("handovers/<int:pk>/", views.handover_detail_view, name="handover_detail"),
    path(
        "handovers/<int:pk>/acknowledge/",
        views.handover_acknowledge_view,
        name="handover_acknowledge",
    ),
    path("workload/", workload_views.workload_view, name="workload"),
    path(
        "workload/<int:employee_pk>/remove/",
        workload_views.workload_remove_view,
        name="workload_remove",
    ),
]

from django.urls import path

from kam.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.cycle_list_view, name="cycles"),
    path("run/", views.cycle_run_view, name="cycle_run"),
    path("schedule/", views.schedule_view, name="schedule"),
    path("matrix/", views.matrix_view, name="matrix"),
    path("<int:pk>/", views.cycle_detail_view, name="cycle"),
    path("<int:pk>/decide/", views.cycle_decide_view, name="cycle_decide"),
    path("<int:pk>/export.<str:fmt>", views.cycle_export_view, name="cycle_export"),
]

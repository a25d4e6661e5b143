from django.urls import path

from kam.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list_view, name="list"),
    path("export.<str:fmt>", views.client_export_view, name="export"),
    path("<int:pk>/", views.client_detail_view, name="detail"),
    path("<int:pk>/profile/", views.client_profile_edit_view, name="profile_edit"),
]

from django.urls import path

from kam.assessment import decision_views
from kam.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list_view, name="list"),
    path("export.<str:fmt>", views.client_export_view, name="export"),
    path("<int:pk>/", views.client_detail_view, name="detail"),
    path("<int:pk>/profile/", views.client_profile_edit_view, name="profile_edit"),
    path("<int:pk>/decision/", decision_views.status_decide_view, name="status_decide"),
    path("<int:pk>/contacts/add/", views.contact_add_view, name="contact_add"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/delete/",
        views.contact_delete_view,
        name="contact_delete",
    ),
]

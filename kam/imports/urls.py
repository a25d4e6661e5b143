from django.urls import path

from kam.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list_view, name="list"),
    path("upload/", views.import_upload_view, name="upload"),
    path("confirm/<str:token>/", views.import_confirm_view, name="confirm"),
]

from django.urls import path

from kam.assessment import model_views

app_name = "scoring_models"
urlpatterns = [
    path("", model_views.model_list_view, name="list"),
    path("<int:pk>/", model_views.model_detail_view, name="detail"),
    path("<int:pk>/edit/", model_views.model_edit_view, name="edit"),
    path("<int:pk>/preview/", model_views.model_preview_view, name="preview"),
    path("<int:pk>/activate/", model_views.model_activate_view, name="activate"),
    path("<int:pk>/definition.<str:fmt>", model_views.model_download_view, name="download"),
]

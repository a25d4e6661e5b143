from django.urls import path

from kam.deals import views

app_name = "deals"
urlpatterns = [
    path("", views.pipeline_view, name="pipeline"),
    path("<int:pk>/", views.deal_view, name="detail"),
    path("prospects/", views.prospect_list_view, name="prospects"),
    path("prospects/<int:pk>/", views.prospect_view, name="prospect"),
]

from django.urls import path

from kam.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
]

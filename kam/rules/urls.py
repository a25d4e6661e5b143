from django.urls import path

from kam.rules import views

app_name = "rules"
urlpatterns = [
    path("", views.rule_list_view, name="list"),
]

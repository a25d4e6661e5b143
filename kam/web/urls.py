from django.urls import path

from kam.web import views

urlpatterns = [
    path("", views.home, name="home"),
]

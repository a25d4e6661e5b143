from django.urls import path

from kam.credit import views

app_name = "credit"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("applications/<int:pk>/", views.application_view, name="application"),
]

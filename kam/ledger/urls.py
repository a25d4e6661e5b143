from django.urls import path

from kam.ledger import views

app_name = "ledger"
urlpatterns = [
    path("clients/<int:client_pk>/new/", views.sale_register_view, name="register"),
]

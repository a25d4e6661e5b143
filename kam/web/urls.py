from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.web import tokens, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="web/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html"),
        name="password_change_done",
    ),
    path("language/", views.language_switch, name="language"),
    path("tokens/", tokens.token_list_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
    path("clients/", include("kam.clients.urls")),
    path("imports/", include("kam.imports.urls")),
    path("assessment/models/", include("kam.assessment.model_urls")),
    path("assessment/", include("kam.assessment.urls")),
    path("key-accounts/", include("kam.keyaccounts.urls")),
    path("plans/", include("kam.planning.urls")),
    path("rules/", include("kam.rules.urls")),
    path("incidents/", include("kam.incidents.urls")),
    path("sales/", include("kam.ledger.urls")),
    path("deals/", include("kam.deals.urls")),
    path("credit/", include("kam.credit.urls")),
]

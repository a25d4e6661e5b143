from django.urls import path

from kam.credit import application_views, decision_views, views

app_name = "credit"
urlpatterns = [
    # views.py: the inbox (my votes first, then the applications) and its export.
    path("", views.inbox_view, name="inbox"),
    path("applications.<str:fmt>", views.applications_export_view, name="applications_export"),
    # application_views.py: filing, the card, the vote, withdrawal, the minutes.
    path("applications/new/", application_views.apply_view, name="apply"),
    path("applications/<int:pk>/", application_views.application_view, name="application"),
    path("applications/<int:pk>/vote/", application_views.vote_view, name="vote"),
    path("applications/<int:pk>/withdraw/", application_views.withdraw_view, name="withdraw"),
    path("applications/<int:pk>/protocol/", application_views.protocol_view, name="protocol"),
    # decision_views.py: the register, one decision and its revocation, the settings.
    path("decisions/", decision_views.decisions_view, name="decisions"),
    path(
        "decisions/export.<str:fmt>",
        decision_views.decisions_export_view,
        name="decisions_export",
    ),
    path("decisions/<int:pk>/", decision_views.decision_view, name="decision"),
    path("decisions/<int:pk>/revoke/", decision_views.revoke_view, name="revoke"),
    path("settings/", decision_views.settings_view, name="settings"),
]

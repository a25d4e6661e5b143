from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from kam.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("kam.web.urls")),
]

admin.site.site_header = _("kam — key accounts and sales discipline")
admin.site.site_title = _("kam")
admin.site.index_title = _("Data administration")

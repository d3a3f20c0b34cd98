from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from testimonia.api import api

urlpatterns = [
    path("", include("testimonia.web.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "testimonia.web.views.error_400"
handler403 = "testimonia.web.views.error_403"
handler404 = "testimonia.web.views.error_404"
handler500 = "testimonia.web.views.error_500"

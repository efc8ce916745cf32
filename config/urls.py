from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from workshop.health import healthz


def favicon(request):
    # Resolved per request: with the production storage the hashed name exists only after
    # collectstatic, not when the URLs are loaded.
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("", include("content.urls")),
    path("", include("workshop.urls")),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

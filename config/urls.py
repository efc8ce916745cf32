from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from workshop.health import healthz

urlpatterns = [
    path("", include("content.urls")),
    path("", include("workshop.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

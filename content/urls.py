from django.urls import path

from content import views

app_name = "content"
urlpatterns = [
    path("", views.home, name="home"),
    path("phases/", views.phase_list, name="phases"),
    path("phases/<slug:slug>/", views.phase_detail, name="phase"),
    path("quiz/", views.quiz, name="quiz"),
]

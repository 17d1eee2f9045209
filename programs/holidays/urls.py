from django.urls import path

from . import views

urlpatterns = [
    path("calendar/holidays/", views.holidays, name="holidays"),
]

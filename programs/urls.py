from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.call_list, name="call-list"),
    path("calls/<slug:code>/", views.call_detail, name="call-detail"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("evaluation/counties/", views.round_list, name="county-rounds"),
    path("evaluation/counties/<int:pk>/", views.round_detail, name="county-round"),
    path("evaluation/counties/<int:pk>/figures/<int:county_pk>/", views.county_figures, name="county-figures"),
    path("evaluation/counties/<int:pk>/publish/", views.round_publish, name="county-round-publish"),
    path("evaluation/counties/<int:pk>/ranking.<slug:fmt>", views.round_export, name="county-round-export"),
]

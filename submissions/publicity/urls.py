from django.urls import path

from . import views

urlpatterns = [
    path("public/results/<slug:code>/", views.public_results, name="public-results"),
    path("review/objections/", views.objection_list, name="objection-list"),
    path("review/objections/<int:pk>/take/", views.objection_take, name="objection-take"),
    path("review/objections/<int:pk>/answer/", views.objection_answer, name="objection-answer"),
    path("review/objections/<int:pk>/file/", views.objection_file, name="objection-file"),
]

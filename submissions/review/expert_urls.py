from django.urls import path

from submissions.review import expert_pages as v

urlpatterns = [
    path("expert/", v.expert_list, name="expert-applications"),
    path("expert/applications/<int:pk>/", v.expert_detail, name="expert-application"),
    path("expert/applications/<int:pk>/files/<int:attachment_pk>/", v.expert_attachment, name="expert-attachment"),
    path("review/applications/<int:pk>/experts/", v.application_experts, name="review-experts"),
]

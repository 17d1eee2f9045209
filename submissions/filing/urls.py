"""The applicant's pages (under /my/) and the access-checked file URL."""

from django.urls import path

from submissions.filing import views as v

urlpatterns = [
    path("my/policies/", v.policies, name="applicant-policies"),
    path("progress/", v.progress_lookup, name="progress-lookup"),
    path("my/calls/<slug:code>/apply/", v.apply, name="applicant-apply"),
    path("my/calls/<slug:code>/materials/<int:material_id>/template/", v.material_template,
         name="applicant-material-template"),
    path("my/applications/", v.application_list, name="applicant-applications"),
    path("my/applications/<int:pk>/", v.application_detail, name="applicant-application"),
    path("my/applications/<int:pk>/edit/", v.application_edit, name="applicant-application-edit"),
    path("my/applications/<int:pk>/autosave/", v.application_autosave, name="applicant-autosave"),
    path("my/applications/<int:pk>/versions/", v.draft_versions, name="applicant-draft-versions"),
    path("my/applications/<int:pk>/score/", v.application_score, name="applicant-score"),
    path("my/applications/<int:pk>/materials/<int:material_id>/upload/", v.material_upload,
         name="applicant-upload"),
    path("my/applications/<int:pk>/attachments/<int:attachment_id>/remove/", v.attachment_remove,
         name="applicant-attachment-remove"),
    path("my/applications/<int:pk>/submit/", v.application_submit, name="applicant-submit"),
    path("my/applications/<int:pk>/withdraw/", v.application_withdraw, name="applicant-withdraw"),
    path("my/applications/<int:pk>/receipts/<int:receipt_id>/", v.receipt_detail, name="applicant-receipt"),
    path("my/applications/<int:pk>/members/invite/", v.member_invite, name="applicant-member-invite"),
    path("my/applications/<int:pk>/members/<int:member_id>/remove/", v.member_remove,
         name="applicant-member-remove"),
    path("my/applications/<int:pk>/conflicts/<int:conflict_id>/", v.conflict_detail, name="applicant-conflict"),
    # a stored file: for whoever may read the application (checked in the view)
    path("applications/<int:pk>/files/<int:attachment_id>/", v.attachment_download, name="application-file"),
]

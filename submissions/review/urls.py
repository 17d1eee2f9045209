from django.urls import path

from submissions.review import deliberate_pages as deliberate
from submissions.review import views as v

urlpatterns = [
    path("review/", v.queue, name="review-queue"),
    path("review/bulk/", v.bulk, name="review-bulk"),
    path("review/bulk/decide/", deliberate.bulk_decide, name="review-bulk-decide"),
    path("review/sign-off/", v.sign_off, name="review-sign-off"),
    path("review/quotas/", v.quotas, name="review-quotas"),
    path("review/deadlines/", v.deadlines, name="review-deadlines"),
    path("review/conflicts/", v.conflicts, name="review-conflicts"),
    path("review/results/<slug:code>/", v.results, name="review-results"),
    path("review/applications/<int:pk>/", v.detail, name="review-detail"),
    path("review/applications/<int:pk>/timeline/", v.timeline, name="review-timeline"),
    path("review/applications/<int:pk>/start/", v.start, name="review-start"),
    path("review/applications/<int:pk>/correct/", v.correct, name="review-correct"),
    path("review/applications/<int:pk>/levels/", v.score_levels, name="review-levels"),
    path("review/applications/<int:pk>/levels/preview/", v.score_preview, name="review-score-preview"),
    path("review/applications/<int:pk>/site-visit/", v.site_visit, name="review-site-visit"),
    path("review/applications/<int:pk>/opinion/", v.opinion, name="review-opinion"),
    path("review/applications/<int:pk>/return/", v.return_, name="review-return"),
    path("review/applications/<int:pk>/reject/", v.reject, name="review-reject"),
    path("review/applications/<int:pk>/recommend/", v.recommend, name="review-recommend"),
    path("review/applications/<int:pk>/withdraw-recommendation/", v.withdraw_recommendation,
         name="review-withdraw-recommendation"),
    path("review/applications/<int:pk>/decide/", v.decide, name="review-decide"),
    path("review/applications/<int:pk>/files/<int:attachment_pk>/", v.attachment, name="review-attachment"),
    path("review/photos/<int:pk>/", v.photo, name="review-photo"),
]

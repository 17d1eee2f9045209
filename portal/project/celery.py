import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.project.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# the tasks of the sub-packages of submissions (review: reminders and extensions; documents: packets)
app.autodiscover_tasks(["submissions.review.services", "submissions.documents"])

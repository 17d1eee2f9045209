import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.project.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# the tasks of the sub-packages of submissions (review: reminders and extensions; documents: packets)
app.autodiscover_tasks(["submissions.review.services", "submissions.documents"])


def freeze_loaded_objects(**_kwargs) -> None:
    """Move everything loaded so far (Django, the apps, WeasyPrint, fonts' metadata) out of the
    cyclic collector's sight: a full collection then looks only at what tasks made, a few ms
    instead of ~120 ms (the packet builder collects the laid-out documents' cycles at once)."""
    gc.freeze()


# prefork children (after the fork) and a solo or threaded worker (once it is ready)
worker_process_init.connect(freeze_loaded_objects, weak=False)
worker_ready.connect(freeze_loaded_objects, weak=False)

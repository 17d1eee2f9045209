"""Draft versions: every save of a draft keeps what it held (`application_save_draft` writes one
`DraftVersion` row per save); the applicant sees the history and restores a version.

* A restore goes through `application_save_draft` (the same checks: who may edit, the version the
  page was opened at, the parts a returned application may change), so it is itself a new version,
  and a second person's save in between is caught as a conflict, never overwritten. It is audited
  (`application.draft_restore`).
* `draft_versions_compact` (Celery beat, hourly) keeps every version of the last hour, then the last
  version of each hour, and always the current one: a day of autosaves leaves at most ~24 rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.services import audit_record
from submissions.filing.services import SaveOutcome, application_save_draft, typed_inputs
from submissions.forms import form_spec
from submissions.models import Application, DraftVersion
from submissions.policy import can_edit_application, draft_versions_visible

KEEP_ALL_FOR = dt.timedelta(hours=1)


def _blanked(current: Any, old: Any) -> Any:
    """`old`, plus an empty value for every field `current` has and `old` had not (a save merges)."""
    if isinstance(current, dict) and isinstance(old, dict):
        out = {key: _blanked(value, None) for key, value in current.items() if key not in old}
        for key, value in old.items():
            out[key] = _blanked(current.get(key), value)
        return out
    if old is None:
        if isinstance(current, dict):
            return {key: _blanked(value, None) for key, value in current.items()}
        if isinstance(current, list):
            return []
        return ""
    return old


def draft_version_restore(*, actor: Actor, application: Application, version: int, base_version: int) -> SaveOutcome:
    """Make version `version` the draft's content again (a new version)."""
    row = draft_versions_visible(actor, application).filter(version=version).first()
    if row is None:
        raise ValidationError(_("This version of the draft does not exist (any more)."))
    decision = can_edit_application(actor, application)
    if not decision:
        raise PermissionDenied(decision.reason)
    with transaction.atomic():
        app = Application.objects.select_related("call").get(pk=application.pk)
        spec = form_spec(app.call)
        outcome = application_save_draft(actor=actor, application=application, base_version=base_version,
                                         data=_blanked(app.data or {}, row.data or {}),
                                         score_inputs=_blanked(typed_inputs(spec, app.score_inputs),
                                                               typed_inputs(spec, row.score_inputs)))
        if outcome.saved:
            DraftVersion.objects.filter(application=app, version=outcome.application.version).update(
                restored_from=row.version)
            audit_record(actor=actor, action="application.draft_restore", obj=app, province=app.province,
                         region=app.region, organization=app.organization,
                         data={"restored_version": row.version, "new_version": outcome.application.version})
    return outcome


def draft_versions_compact(*, now: dt.datetime | None = None) -> int:
    """Delete the versions older than an hour that are not the last of their hour; returns how many."""
    now = now or timezone.now()
    old = DraftVersion.objects.filter(saved_at__lt=now - KEEP_ALL_FOR)
    keep = (old.annotate(hour=TruncHour("saved_at")).values("application_id", "hour")
            .annotate(last=Max("version")).values_list("last", "application_id"))
    keep_pairs = set(keep)
    current = set(Application.objects.filter(draft_versions__in=old).values_list("version", "pk"))
    doomed = [pk for pk, version, app_id in old.values_list("pk", "version", "application_id")
              if (version, app_id) not in keep_pairs and (version, app_id) not in current]
    deleted = 0
    for start in range(0, len(doomed), 1000):
        deleted += DraftVersion.objects.filter(pk__in=doomed[start:start + 1000]).delete()[0]
    return deleted


def history(actor: Actor, app: Application):
    """The versions the actor may see, newest first, with whether each is the current one."""
    return draft_versions_visible(actor, app).annotate(is_current=F("version") - app.version).order_by("-version")

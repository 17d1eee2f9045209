"""办件进度: the steps of an application, as its applicant may know them.

填报 → 提交 → 县级审核 → 市级审核 → 省级评审 → 公示 → 结果, each done, current, still to come or not on
this application's route, with the date it was reached. Derived in one place from the application's
route (`routing`), its state and the audit entries of its transitions that the applicant may read (the
result embargo applies: a decision shows only once the call's result list is published). Used by the
applicant's pages and by the public look-up by receipt number and credit code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import AuditEntry
from submissions import models as m
from submissions.constants import Level, Status
from submissions.embargo import APPLICATION_TYPE, applicant_entries_q, as_seen_by_applicant

DONE, CURRENT, TODO, SKIPPED = "done", "current", "todo", "skipped"

STEPS = [
    ("fill", _("Filling in")),
    ("submit", pgettext_lazy("progress step", "Submitted")),
    (Level.COUNTY.value, _("County review")),
    (Level.CITY.value, _("City review")),
    (Level.PROVINCE.value, _("Provincial evaluation")),
    ("publicity", _("Publicity")),
    ("result", _("Result")),
]
LEVELS = [Level.COUNTY.value, Level.CITY.value, Level.PROVINCE.value]
STATE_LABELS = {DONE: _("done"), CURRENT: _("current step"), TODO: _("to come"), SKIPPED: _("not on this route")}
OUTCOMES = {
    Status.APPROVED: _("Recognized"), Status.NOT_APPROVED: _("Not recognized"), Status.PILOT: _("Pilot"),
    Status.REJECTED: _("Not recommended"), Status.WITHDRAWN: _("Withdrawn"),
}


@dataclass
class Step:
    key: str
    label: object
    state: str = TODO
    at: dt.datetime | None = None
    note: object = ""

    @property
    def state_label(self):
        return STATE_LABELS[self.state]


def _level_of(state: str) -> str:
    return state.partition("@")[2]


def _entries(app) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=APPLICATION_TYPE, object_id=str(app.pk))
                .filter(Q(action__startswith="application.") & applicant_entries_q(app.call_id))
                .order_by("at", "id"))


def application_progress(app) -> list[Step]:
    """The seven steps of `app` as its applicant may know them (the result embargo applies)."""
    shown = as_seen_by_applicant(app)
    status, level = shown.status, shown.level
    entries = _entries(app)
    steps = {key: Step(key, label) for key, label in STEPS}
    route = [lv for lv in LEVELS if lv in (app.routing or LEVELS)] or LEVELS
    if Level.PROVINCE.value not in route:
        route.append(Level.PROVINCE.value)
    for lv in LEVELS:
        if lv not in route:
            steps[lv].state = SKIPPED

    steps["fill"].at = app.created_at
    submitted = next((e for e in entries if e.action == "application.submit"), None)
    if status == Status.DRAFT and submitted is None:
        steps["fill"].state = CURRENT
        return list(steps.values())
    steps["fill"].state = DONE
    steps["submit"].state = DONE
    steps["submit"].at = submitted.at if submitted else app.last_action_at
    for lv in route:  # the date a level received the application (its first entry there)
        arrived = next((e for e in entries if _level_of(e.to_state) == lv), None)
        steps[lv].at = arrived.at if arrived else None
    if status == Status.WITHDRAWN:
        steps["submit"].note = OUTCOMES[Status.WITHDRAWN]
        _finish(steps, route, upto=None, status=status, at=shown.last_action_at)
        return list(steps.values())
    at_level = level if level in route else route[0]
    for lv in route[:route.index(at_level)]:
        steps[lv].state = DONE
    if status in (Status.APPROVED, Status.NOT_APPROVED) or (status == Status.PILOT and at_level == Level.PROVINCE):
        steps[at_level].state = DONE
        publication = (m.ResultPublication.objects.filter(call_id=app.call_id, published_at__gte=shown.last_action_at)
                       .order_by("published_at").first()) if shown.last_action_at else None
        steps["publicity"].state = DONE
        steps["publicity"].at = publication.published_at if publication else shown.last_action_at
        steps["result"].state = DONE
        steps["result"].at = steps["publicity"].at
        steps["result"].note = OUTCOMES[status]
        return list(steps.values())
    if status == Status.REJECTED:
        steps[at_level].state = DONE
        steps[at_level].note = OUTCOMES[Status.REJECTED]
        _finish(steps, route, upto=at_level, status=status, at=shown.last_action_at)
        return list(steps.values())
    steps[at_level].state = CURRENT
    if status == Status.RETURNED:
        steps[at_level].note = _("Returned for revision")
    elif status == Status.RECOMMENDED:
        steps[at_level].note = _("Recommended, awaiting sign-off")
    return list(steps.values())


def _finish(steps, route, *, upto, status, at):
    """An application that stopped (withdrawn, not recommended): the later levels and the publicity
    are not reached; the result is the outcome."""
    later = route if upto is None else route[route.index(upto) + 1:]
    for lv in later:
        steps[lv].state = SKIPPED
        steps[lv].at = None
    steps["publicity"].state = SKIPPED
    steps["result"].state = DONE
    steps["result"].at = at
    steps["result"].note = OUTCOMES[status]


def current_step(steps: list[Step]) -> Step:
    """The step the application is at: the current one, else the last one done."""
    current = next((s for s in steps if s.state == CURRENT), None)
    return current or [s for s in steps if s.state == DONE][-1]


# --- The public look-up: receipt number plus credit code, the current step and nothing else ---

LOOKUPS_PER_WINDOW = 10
WINDOW_SECONDS = 600


def lookup_allowed(client: str) -> bool:
    """Counts a look-up by this client (its address); False once it made LOOKUPS_PER_WINDOW in the
    window (successful or not), so receipt numbers cannot be tried in bulk."""
    key = f"progress-lookup:{client}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= LOOKUPS_PER_WINDOW


def application_by_receipt(number: str, credit_code: str):
    """The application whose receipt has this number and whose organization has this credit code:
    both must match (a receipt number alone reveals nothing); None otherwise."""
    number, credit_code = (number or "").strip(), (credit_code or "").strip().upper()
    if not number or not credit_code:
        return None
    receipt = (m.Receipt.objects.select_related("application__organization", "application__call")
               .filter(number=number, application__organization__credit_code=credit_code).first())
    return receipt.application if receipt else None

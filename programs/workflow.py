"""The states of a call and the only ways between them: draft → published → closed.

TRANSITIONS declares each move with its conditions, asked in order (who first: a stranger learns
nothing about the call's state); the first refusal is the answer:

    check(actor, call, name)   -> Decision (allowed, reason)
    available(actor, call)     -> the moves allowed now (the call page's buttons)
    blocked(actor, call)       -> the moves the actor may make but the call is not ready for, with why
    fire(actor=, call=, name=, comment="")  locks the call, asks again, moves it, audits it

A closed call stays closed: nothing leads back to published. `fire()` writes the audit entry
(`call.publish`, `call.close`) in the caller's transaction; nothing else assigns a call's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import ALLOW, Actor, Decision, deny
from portal.services import audit_record
from programs import policy
from programs.constants import CallStatus
from programs.models import Call

Test = Callable[[Actor, Call], Decision]


@dataclass(frozen=True)
class Condition:
    code: str  # "access" (refused with PermissionDenied), "state", "stages" (ValidationError)
    test: Test

    def error(self, reason: str) -> Exception:
        return PermissionDenied(reason) if self.code == "access" else ValidationError(reason, code=self.code)


@dataclass(frozen=True)
class CallTransition:
    name: str
    label: str
    sources: frozenset
    target: str
    conditions: tuple[Condition, ...]


def _rule(rule_name: str) -> Condition:
    return Condition("access", lambda actor, call: getattr(policy, rule_name)(actor, call))


def _in_state(sources: frozenset, target: str) -> Condition:
    def test(actor: Actor, call: Call) -> Decision:
        if call.status in sources:
            return ALLOW
        return deny(_("A call that is %(state)s cannot be %(action)s.")
                    % {"state": call.get_status_display(), "action": CallStatus(target).label})

    return Condition("state", test)


def _has_stages(actor: Actor, call: Call) -> Decision:
    if not call.stages.exists():
        return deny(_("A call needs at least one stage with its deadline before it is published."))
    return ALLOW


def _transition(name, label, sources, target, rule_name, *conditions) -> CallTransition:
    sources = frozenset(sources)
    return CallTransition(name, label, sources, target,
                          (_rule(rule_name), _in_state(sources, target), *conditions))


TRANSITIONS: dict[str, CallTransition] = {
    t.name: t
    for t in [
        _transition("publish", gettext_lazy("Publish the call"), {CallStatus.DRAFT}, CallStatus.PUBLISHED,
                    "can_publish_call", Condition("stages", _has_stages)),
        _transition("close", gettext_lazy("Close the call"), {CallStatus.PUBLISHED}, CallStatus.CLOSED,
                    "can_change_call"),
    ]
}


def move(name: str) -> CallTransition | None:
    """The move called `name` (its label for a page), None if there is no such move."""
    return TRANSITIONS.get(name)


def _first_refusal(transition: CallTransition, actor: Actor, call: Call) -> tuple[Condition, Decision] | None:
    for condition in transition.conditions:
        decision = condition.test(actor, call)
        if not decision:
            return condition, decision
    return None


def check(actor: Actor, call: Call, name: str) -> Decision:
    """May `actor` move `call` by `name` now? The first refusal's reason if not."""
    found = _first_refusal(TRANSITIONS[name], actor, call)
    return ALLOW if found is None else found[1]


def available(actor: Actor, call: Call) -> list[CallTransition]:
    return [t for t in TRANSITIONS.values() if call.status in t.sources and _first_refusal(t, actor, call) is None]


def blocked(actor: Actor, call: Call) -> list[tuple[CallTransition, Decision]]:
    """Moves from the call's state the actor may make, refused by what the call lacks (its stages)."""
    out = []
    for t in TRANSITIONS.values():
        if call.status not in t.sources:
            continue
        found = _first_refusal(t, actor, call)
        if found is not None and found[0].code not in ("access", "state"):
            out.append((t, found[1]))
    return out


def fire(*, actor: Actor, call: Call, name: str, comment: str = "") -> Call:
    """Move the call. Must run inside a transaction (the services open it): the row is locked, the
    conditions asked again on it, the status changed and the audit entry written."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("programs.workflow.fire() must run inside transaction.atomic()")
    transition = TRANSITIONS[name]
    locked = Call.objects.select_for_update(of=("self",)).select_related("province").get(pk=call.pk)
    found = _first_refusal(transition, actor, locked)
    if found is not None:
        condition, decision = found
        raise condition.error(decision.reason)
    previous = locked.status
    locked.status = transition.target
    fields = ["status"]
    if transition.target == CallStatus.PUBLISHED and locked.published_at is None:
        locked.published_at = timezone.now()
        fields.append("published_at")
    locked.save(update_fields=fields)
    audit_record(actor=actor, action=f"call.{name}", obj=locked, province=locked.province, from_state=previous,
                 to_state=transition.target, comment=comment)
    return locked

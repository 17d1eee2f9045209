"""The applicant's part of the home page: drafts with their deadlines, returned applications,
applications under way, and the links to 我的政策 / 我的业务 (a constant number of queries)."""

from django import template

from portal import access
from submissions.constants import Status
from submissions.embargo import as_seen_by_applicant
from submissions.filing import services
from submissions.policy import can_follow_applications

register = template.Library()


@register.inclusion_tag("submissions/applicant/_home_panel.html", takes_context=True)
def applicant_home(context):
    request = context.get("request")
    actor = context.get("actor") or (access.actor_of(request) if request is not None else access.ANONYMOUS)
    drafts, returned, in_review = [], [], []
    if can_follow_applications(actor):
        live = services.applications_for_list(actor).exclude(  # by the status the applicant sees
            applicant_status__in=[Status.WITHDRAWN, Status.REJECTED, Status.APPROVED, Status.NOT_APPROVED])[:30]
        for app in map(as_seen_by_applicant, live):
            row = {"app": app, "deadline": services.next_deadline(app)}
            if app.status == Status.DRAFT and app.organization_id == actor.organization.pk:
                drafts.append(row)
            elif app.status == Status.RETURNED and app.organization_id == actor.organization.pk:
                returned.append(row)
            else:
                in_review.append(row)
        drafts.sort(key=lambda r: (r["deadline"] is None or r["deadline"].at is None,
                                   r["deadline"].at if r["deadline"] and r["deadline"].at else None))
    return {"drafts": drafts, "returned": returned, "in_review": in_review,
            "is_admin": bool(access.can_invite_colleague(actor, actor.organization)), "request": request}

"""The rows of the review queue as one fragment: a page of 50 rows is a single tag of the template,
each row one string format with every value escaped (html.escape, as Django's `escape`; values
already marked safe are kept), instead of some 16 template nodes per row. What a row's cells show
is decided here, once per page for what every row shares (labels, the link's pattern, the time zone)."""

from __future__ import annotations

import html

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext as _

from submissions.constants import Level, Status

register = template.Library()

ROW = ('<tr data-app="{pk}" data-status="{status}"{tr_class}>'
       '<td><input type="checkbox" name="selected" value="{pk}" aria-label="{name}"></td>'
       '<td><a href="{href}">{name}</a><div class="small muted mono">{credit_code}</div></td>'
       '<td class="small">{call}</td><td class="small">{region}</td>'
       '<td><span class="badge status-{status}">{status_label}</span><div class="small muted">{level_label}</div></td>'
       '<td class="num">{self_score}</td><td class="num">{bureau_score}{county}</td>{score_cell}'
       '<td class="small">{submitted}{receipt}</td><td class="small">{deadline}{badges}</td></tr>\n')
PK = 2147483647  # stands for a row's id in the link's pattern (reversed once per page)


def _e(value) -> str:
    """`conditional_escape` without its wrappers: a safe value or a number as it is, anything else
    escaped."""
    if type(value) is int or isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value))


def _score(value) -> str:
    return "—" if value is None else _e(value)


@register.simple_tag
def queue_rows(rows, can_recommend=False) -> SafeString:
    """With `can_recommend`, a column of the score each row is recommended with (prefilled with the
    bureau's score; a call with a rubric computes it)."""
    if not rows:
        return SafeString("")
    computed = f'<td class="num"><span class="small muted">{_e(_("computed"))}</span></td>'
    extended = f' <span class="badge">{_e(_("extended"))}</span>'
    overdue = f' <span class="badge overdue">{_e(_("overdue"))}</span>'
    county_label = _e(_("County score"))
    no_deadline = f'<span class="muted no-deadline">{_e(_("the call sets none"))}</span>'
    recommend_with = _("Score to recommend %(name)s with")
    status_labels = {value: _e(label) for value, label in Status.choices}  # translated once per page
    level_labels = {value: _e(label) for value, label in Level.choices}
    href = _e(reverse("review-detail", args=[PK])).replace(str(PK), "{}")
    zone = timezone.get_current_timezone()

    def when(value) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"

    out = []
    for row in rows:
        pk, name, deadline = row.pk, _e(row.name), row.deadline
        score_cell = ""
        if can_recommend:
            score_cell = computed if row.call.rubric_code else (
                f'<td class="num"><input class="row-score" name="score_{pk}" value="'
                f'{"" if row.bureau_score is None else _e(row.bureau_score)}" inputmode="decimal" size="5"'
                f' aria-label="{_e(recommend_with % {"name": row.name})}"></td>')
        county = ""
        if row.level != Level.COUNTY and row.county_score is not None:
            county = f'<div class="small muted county-score">{county_label} {_e(row.county_score)}</div>'
        at = deadline.at
        out.append(ROW.format(
            pk=pk, status=_e(row.status), tr_class=' class="overdue"' if row.overdue else "", name=name,
            href=href.format(pk), credit_code=_e(row.credit_code), call=_e(row.call.title),
            region=_e(row.region), status_label=status_labels.get(row.status) or _e(row.status),
            level_label=level_labels.get(row.level, ""), self_score=_score(row.self_score),
            bureau_score=_score(row.bureau_score), county=county, score_cell=score_cell,
            submitted=when(row.submitted_at),
            receipt=f'<div class="muted mono receipt-number">{_e(row.receipt)}</div>' if row.receipt else "",
            deadline=_e(when(at)) if at else no_deadline,
            badges=(extended if at and deadline.extended else "") + (overdue if row.overdue else "")))
    return SafeString("".join(out))

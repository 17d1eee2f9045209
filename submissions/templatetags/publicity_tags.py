"""{% public_notice_link call %}: a link to the call's public notice of results (公示) once a result
list has been published; nothing before."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from submissions.publicity.selectors import latest_publication

register = template.Library()


@register.simple_tag
def public_notice_link(call, publications=None):
    """`publications`: {call id: publication} loaded for a whole list (no query per row)."""
    publication = publications.get(call.pk) if publications is not None else latest_publication(call)
    if publication is None:
        return ""
    return format_html('<a class="public-notice" href="{}">{}</a>', reverse("public-results", args=[call.code]),
                       _("Public notice of results"))

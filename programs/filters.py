import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.access import ANONYMOUS, actor_of
from portal.constants import RegionLevel
from portal.models import Region
from programs.workdays import SHANGHAI, end_of_day

from .models import Call, ProgramType
from .selectors import with_deadlines

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class CallFilter(django_filters.FilterSet):
    STATE_CHOICES = [("open", _("Open for applications")), ("closed", _("Closed"))]

    province = django_filters.ModelChoiceFilter(
        label=_("Province"),
        queryset=Region.objects.filter(level=RegionLevel.PROVINCE, calls__isnull=False).distinct(),
    )
    program = django_filters.ModelChoiceFilter(label=_("Program"), queryset=ProgramType.objects.all())
    state = django_filters.ChoiceFilter(label=_("State"), choices=STATE_CHOICES, method="filter_state")
    deadline_before = django_filters.DateFilter(
        label=_("Filing deadline on or before"), method="filter_deadline_before", widget=DATE_INPUT
    )
    deadline_after = django_filters.DateFilter(label=_("Filing deadline on or after"), method="filter_deadline_after",
                                            widget=DATE_INPUT)
    year = django_filters.NumberFilter(label=_("Year"))
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    class Meta:
        model = Call
        fields = ["province", "program", "year"]

    # Open and the filing deadline depend on the asker's region (a stage limited to its city, an
    # extension for it): the one deadline resolver answers for each call, then the rows are kept by id.

    def _with_deadlines(self, queryset):
        actor = actor_of(self.request) if self.request is not None else ANONYMOUS
        return with_deadlines(actor, queryset)

    def filter_state(self, queryset, name, value):
        if value not in ("open", "closed"):
            return queryset
        open_ids = [c.pk for c in self._with_deadlines(queryset) if c.is_open]
        return queryset.filter(pk__in=open_ids) if value == "open" else queryset.exclude(pk__in=open_ids)

    def filter_deadline_before(self, queryset, name, value):
        limit = end_of_day(value)
        return queryset.filter(pk__in=[c.pk for c in self._with_deadlines(queryset)
                                       if c.filing_deadline is not None and c.filing_deadline <= limit])

    def filter_deadline_after(self, queryset, name, value):
        start = dt.datetime.combine(value, dt.time.min, tzinfo=SHANGHAI)
        return queryset.filter(pk__in=[c.pk for c in self._with_deadlines(queryset)
                                       if c.filing_deadline is not None and c.filing_deadline >= start])

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # the catalogue is searched by the program's name, the notice's number and text and the conditions
        matching = Call.objects.filter(
            Q(title__icontains=value) | Q(document_number__icontains=value) | Q(program__name__icontains=value)
            | Q(notice_text__icontains=value) | Q(conditions__text__icontains=value)
        ).values("pk")
        return queryset.filter(pk__in=matching)

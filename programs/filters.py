import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.constants import RegionLevel
from portal.models import Region
from programs.workdays import SHANGHAI, end_of_day

from .models import Call, ProgramType
from .selectors import open_q

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

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == "open":
            return queryset.filter(open_q(now))
        if value == "closed":
            return queryset.exclude(open_q(now))
        return queryset

    def filter_deadline_before(self, queryset, name, value):

        return queryset.filter(filing_deadline__lte=end_of_day(value))

    def filter_deadline_after(self, queryset, name, value):


        return queryset.filter(filing_deadline__gte=dt.datetime.combine(value, dt.time.min, tzinfo=SHANGHAI))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(document_number__icontains=value))

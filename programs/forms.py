"""Forms of the programs pages (the provincial department edits the texts of its calls)."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.constants import RegionLevel
from portal.models import Region

from .constants import (
    CallKind,
    Comparator,
    ConditionKind,
    DeadlineKind,
    MaterialType,
    QuotaRule,
    QuotaScope,
    StageLevel,
)
from .models import (
    REGION_ATTRIBUTE_LABELS,
    Call,
    Contact,
    EligibilityCondition,
    ProgramType,
    Quota,
    RequiredMaterial,
    Stage,
)
from .rubric_choices import rubric_choices
from .services import CALL_EDITABLE_FIELDS
from .workdays import SHANGHAI


class CallTextForm(forms.Form):
    """The texts of a call the provincial department may correct (structure comes from the notice
    files: stages, quotas, conditions and materials are not edited here)."""

    title = forms.CharField(label=Call._meta.get_field("title").verbose_name, max_length=300)
    batch = forms.CharField(label=Call._meta.get_field("batch").verbose_name, max_length=64, required=False)
    document_number = forms.CharField(label=Call._meta.get_field("document_number").verbose_name,
                                      max_length=100, required=False)
    notice_text = forms.CharField(label=Call._meta.get_field("notice_text").verbose_name, required=False,
                                  widget=forms.Textarea(attrs={"rows": 12}))
    commitment_text = forms.CharField(
        label=Call._meta.get_field("commitment_text").verbose_name, required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Applicants who accepted an earlier wording keep their acceptance with its fingerprint."),
    )
    blind_review = forms.BooleanField(
        label=Call._meta.get_field("blind_review").verbose_name, required=False,
        help_text=Call._meta.get_field("blind_review").help_text,
    )

    def __init__(self, *args, call: Call, **kwargs):
        super().__init__(*args, initial={name: getattr(call, name) for name in CALL_EDITABLE_FIELDS}, **kwargs)


# --- a call built in forms: the call, then one formset per part --------------------------------------
# Each form's fields carry the names of the notice-file format (programs/loaders.py), so that the
# forms make one entry of such a file and the loader checks it; its refusals come back beside the
# field they name.

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
REGION_PICKER = {"class": "region-picker"}


def _label(model, name):
    return model._meta.get_field(name).verbose_name


def _region_choices(province, *, levels=None):
    qs = Region.objects.filter(Q(pk=province.pk) | Q(parent=province) | Q(parent__parent=province))
    if levels:
        qs = qs.filter(level__in=levels)
    return [("", "—")] + [(r.code, r.full_name) for r in qs.select_related("parent__parent").order_by("code")]


class CallMainForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=80,
                           help_text=_("A short key of letters, digits and hyphens, e.g. gs-2027-etc."))
    program = forms.ModelChoiceField(label=_label(Call, "program"), queryset=ProgramType.objects.all(),
                                     to_field_name="code")
    kind = forms.ChoiceField(label=_label(Call, "kind"), choices=CallKind.choices)
    year = forms.IntegerField(label=_label(Call, "year"), min_value=2000, max_value=2100)
    batch = forms.CharField(label=_label(Call, "batch"), max_length=64, required=False)
    title = forms.CharField(label=_label(Call, "title"), max_length=300)
    document_number = forms.CharField(label=_label(Call, "document_number"), max_length=100, required=False)
    issuer = forms.CharField(label=_label(Call, "issuer"), max_length=200, required=False)
    issued_on = forms.DateField(label=_label(Call, "issued_on"), required=False, widget=DATE)
    issuing_region = forms.ChoiceField(label=_label(Call, "issuing_region"), required=False,
                                       help_text=Call._meta.get_field("issuing_region").help_text,
                                       widget=forms.Select(attrs=REGION_PICKER))
    rubric_code = forms.CharField(label=_label(Call, "rubric_code"), max_length=64, required=False,
                                  help_text=_("The code of a published rubric, e.g. gansu-2022-etc."))
    blind_review = forms.BooleanField(label=_label(Call, "blind_review"), required=False)
    notice_text = forms.CharField(label=_label(Call, "notice_text"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    commitment_text = forms.CharField(label=_label(Call, "commitment_text"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, province, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_region"].choices = _region_choices(province, levels=[RegionLevel.CITY])
        choices = rubric_choices()
        if choices is not None:
            current = (self.initial or {}).get("rubric_code")
            if current and current not in {code for code, _title in choices}:
                choices.append((current, current))  # keep a code the call already names
            self.fields["rubric_code"] = forms.ChoiceField(
                label=_label(Call, "rubric_code"), required=False, choices=[("", "—"), *choices])
        if editing:
            del self.fields["code"]

    def row(self) -> dict:
        data = dict(self.cleaned_data)
        data["program"] = data["program"].code
        data["issued_on"] = data["issued_on"].isoformat() if data.get("issued_on") else None
        data["issuing_region"] = data.get("issuing_region") or None
        return data


class RegionLimitedForm(forms.Form):
    """A row that may be limited to one city or county of the call's province (its `region` field)."""

    def __init__(self, *args, province=None, **kwargs):
        super().__init__(*args, **kwargs)
        if province is not None:
            self.fields["region"].choices = _region_choices(province, levels=[RegionLevel.CITY, RegionLevel.COUNTY])


class StageForm(RegionLimitedForm):
    level = forms.ChoiceField(label=_label(Stage, "level"), choices=StageLevel.choices, initial=StageLevel.APPLICANT)
    name = forms.CharField(label=_label(Stage, "name"), max_length=200)
    region = forms.ChoiceField(label=_label(Stage, "region"), required=False,
                               widget=forms.Select(attrs=REGION_PICKER))
    deadline_kind = forms.ChoiceField(label=_label(Stage, "deadline_kind"), choices=DeadlineKind.choices,
                                      initial=DeadlineKind.ABSOLUTE, widget=forms.Select(attrs={"class": "deadline-kind"}))
    deadline = forms.DateTimeField(label=_("Deadline (date and time)"), required=False, widget=DATETIME,
                                   help_text=_("Beijing time; a date alone means the end of that day."))
    relative_working_days = forms.IntegerField(label=_label(Stage, "relative_working_days"), required=False,
                                               min_value=1, max_value=365)
    event_name = forms.CharField(label=_label(Stage, "event_name"), max_length=200, required=False)
    event_date = forms.DateField(label=_label(Stage, "event_date"), required=False, widget=DATE)
    description = forms.CharField(label=_label(Stage, "description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def row(self) -> dict:
        data = dict(self.cleaned_data)
        kind = data["deadline_kind"]
        # what the other kinds of deadline ask is dropped, not refused: a field left filled in after
        # switching the kind is not an error
        if kind != DeadlineKind.ABSOLUTE:
            data["deadline"] = None
        if kind != DeadlineKind.RELATIVE:
            data.update(relative_working_days=None, event_name="", event_date=None)
        if data["deadline"] is not None:
            data["deadline"] = timezone.localtime(data["deadline"], SHANGHAI).isoformat()
        data["event_date"] = data["event_date"].isoformat() if data.get("event_date") else None
        data["region"] = data.get("region") or None
        return data


class QuotaForm(RegionLimitedForm):
    scope = forms.ChoiceField(label=_label(Quota, "scope"), choices=QuotaScope.choices, initial=QuotaScope.PER_CITY)
    region = forms.ChoiceField(label=_label(Quota, "region"), required=False,
                               widget=forms.Select(attrs=REGION_PICKER))
    rule = forms.ChoiceField(label=_label(Quota, "rule"), choices=QuotaRule.choices, initial=QuotaRule.FIXED,
                             widget=forms.Select(attrs={"class": "quota-rule"}))
    limit = forms.IntegerField(label=_label(Quota, "limit"), required=False, min_value=0, max_value=1000,
                               help_text=_("Empty on a conditional quota: no limit without the attribute."))
    condition_attribute = forms.ChoiceField(
        label=_label(Quota, "condition_attribute"), required=False,
        choices=[("", "—"), *REGION_ATTRIBUTE_LABELS.items()])
    limit_if_true = forms.IntegerField(label=_label(Quota, "limit_if_true"), required=False, min_value=0,
                                       max_value=1000, help_text=_("Empty: no limit where the attribute holds."))
    in_principle = forms.BooleanField(label=_label(Quota, "in_principle"), required=False)
    source_text = forms.CharField(label=_label(Quota, "source_text"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def row(self) -> dict:
        data = dict(self.cleaned_data)
        if data["rule"] != QuotaRule.CONDITIONAL:
            data.update(condition_attribute="", limit_if_true=None)
        data["region"] = data.get("region") or None
        return data


class ConditionForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    kind = forms.ChoiceField(label=_label(EligibilityCondition, "kind"), choices=ConditionKind.choices,
                             initial=ConditionKind.QUALITATIVE)
    text = forms.CharField(label=_label(EligibilityCondition, "text"), widget=forms.Textarea(attrs={"rows": 2}))
    input_key = forms.CharField(label=_label(EligibilityCondition, "input_key"), max_length=64, required=False,
                                help_text=_("The figure compared, e.g. rd_expenditure (万元)."))
    denominator_key = forms.CharField(label=_label(EligibilityCondition, "denominator_key"), max_length=64,
                                      required=False, help_text=_("A ratio only, e.g. main_revenue."))
    comparator = forms.ChoiceField(label=_label(EligibilityCondition, "comparator"), required=False,
                                   choices=[("", "—"), *Comparator.choices])
    threshold = forms.DecimalField(label=_label(EligibilityCondition, "threshold"), required=False,
                                   max_digits=14, decimal_places=4, help_text=_("A ratio in percent."))
    unit = forms.CharField(label=_label(EligibilityCondition, "unit"), max_length=16, required=False)
    is_hard = forms.BooleanField(label=_label(EligibilityCondition, "is_hard"), required=False, initial=True)
    exempt_if = forms.CharField(label=_label(EligibilityCondition, "exempt_if"), required=False)

    def row(self) -> dict:
        data = dict(self.cleaned_data)
        data["threshold"] = str(data["threshold"]) if data.get("threshold") is not None else None
        return data


class MaterialForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_label(RequiredMaterial, "name"), max_length=200)
    allowed_types = forms.MultipleChoiceField(label=_label(RequiredMaterial, "allowed_types"),
                                              choices=MaterialType.choices, widget=forms.CheckboxSelectMultiple)
    max_size_mb = forms.IntegerField(label=_label(RequiredMaterial, "max_size_mb"), min_value=1, max_value=2048,
                                     initial=50)
    is_required = forms.BooleanField(label=_label(RequiredMaterial, "is_required"), required=False, initial=True)
    copies = forms.CharField(label=_label(RequiredMaterial, "copies"), max_length=64, required=False)
    description = forms.CharField(label=_label(RequiredMaterial, "description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    template = forms.FileField(label=_label(RequiredMaterial, "template"), required=False,
                               help_text=_("A blank form applicants download and fill in (at most 20 MB)."))

    def clean_template(self):
        upload = self.cleaned_data.get("template")
        if upload is not None and upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The template is larger than 20 MB."))
        return upload

    def row(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("template", None)
        return data


class ContactForm(forms.Form):
    department = forms.CharField(label=_label(Contact, "department"), max_length=200, required=False)
    name = forms.CharField(label=_label(Contact, "name"), max_length=64, required=False)
    phone = forms.CharField(label=_label(Contact, "phone"), max_length=64, required=False)
    email = forms.EmailField(label=_label(Contact, "email"), max_length=120, required=False)
    address = forms.CharField(label=_label(Contact, "address"), max_length=300, required=False)

    def row(self) -> dict:
        return dict(self.cleaned_data)


SECTIONS = {
    "stages": StageForm,
    "quotas": QuotaForm,
    "conditions": ConditionForm,
    "materials": MaterialForm,
    "contacts": ContactForm,
}
FORMSETS = {name: forms.formset_factory(form, extra=1, can_delete=True) for name, form in SECTIONS.items()}

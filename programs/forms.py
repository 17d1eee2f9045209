"""Forms of the programs pages (the provincial department edits the texts of its calls)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Call
from .services import CALL_EDITABLE_FIELDS


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

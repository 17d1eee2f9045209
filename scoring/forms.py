from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import RUBRIC_FILE_MAX_BYTES


class RubricUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Rubric file (YAML)"),
        help_text=_("One rubric per file, in the format of fixtures/rubrics/*.yaml."),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > RUBRIC_FILE_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(n)d KB).") % {"n": RUBRIC_FILE_MAX_BYTES // 1024}
            )
        return f


class AssessmentMetaForm(forms.Form):
    """The fields of an assessment besides the rubric's inputs."""

    call = forms.ChoiceField(label=_("Call"), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", _("(no particular call)"))] + [(c.code, c.title) for c in calls]

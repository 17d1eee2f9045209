from django import forms

from .models import Organization


class OrganizationProfileForm(forms.ModelForm):
    """What an applicant administrator may change about its own organization.

    The name, credit code and region identify the organization and are changed by a bureau or
    an operator only."""

    class Meta:
        model = Organization
        fields = ["industry", "main_business", "address", "contact_name", "contact_phone", "contact_email"]

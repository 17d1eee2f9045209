"""Registration of applicant organizations, the county bureaus' approval queue, colleagues."""

from django.urls import path

from . import registration as r

urlpatterns = [
    path("register/", r.register, name="register"),
    path("register/region/", r.region_from_credit_code, name="register-region"),
    path("registrations/", r.registrations, name="registrations"),
    path("registrations/<int:pk>/decide/", r.registration_decide, name="registration-decide"),
    path("colleagues/", r.colleagues, name="colleagues"),
    path("colleagues/welcome/<uidb64>/<token>/", r.WelcomeView.as_view(), name="colleague-welcome"),
]

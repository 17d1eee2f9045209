from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from portal.dbstats import analyze
from portal.project.demo import DEMO_CALLS, load_demo, load_demo_calls, passwords_visible
from submissions.demo import load_demo_applications, load_demo_expert_assignments, reset_demo_applications


class Command(BaseCommand):
    help = "Create the demo organizations and one demo account for every role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="remove the demo applications and rebuild the demo calls with fresh dates")

    def handle(self, *args, **opts):
        logins = load_demo()
        if opts["reset"]:
            reset_demo_applications([code for _seed, code, _title, _days in DEMO_CALLS])
        calls = load_demo_calls()
        if calls:
            self.stdout.write(_("Demo calls open for applications: %(codes)s") % {"codes": ", ".join(calls)})
        # the demo applications go through the real services; their e-mails are not printed here
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            made = load_demo_applications()
        for line in made:
            self.stdout.write(_("Demo application: %(line)s") % {"line": line})
        for line in load_demo_expert_assignments():
            self.stdout.write(_("Demo expert assignment: %(line)s") % {"line": line})
        analyze()  # fresh planner statistics after the bulk of new rows (PostgreSQL)
        self.stdout.write(_("Demo accounts (all data marked 演示 is demo data):"))
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {login.roles}")
        if passwords_visible():
            self.stdout.write(_("Password of every demo account: %(pw)s") % {"pw": logins[0].password})
        else:
            self.stdout.write(_(
                "Passwords are not shown outside the embedded default; set one with "
                "`python manage.py changepassword USERNAME`."
            ))

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from portal.demo import load_demo, load_demo_calls, passwords_visible


class Command(BaseCommand):
    help = "Create the demo organizations and one demo account for every role (idempotent)."

    def handle(self, *args, **opts):
        logins = load_demo()
        calls = load_demo_calls()
        if calls:
            self.stdout.write(_("Demo calls open for applications: %(codes)s") % {"codes": ", ".join(calls)})
        self.stdout.write(_("Demo accounts (all data marked 演示 is demo data):"))
        width = max(len(l.username) for l in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {login.roles}")
        if passwords_visible():
            self.stdout.write(_("Password of every demo account: %(pw)s") % {"pw": logins[0].password})
        else:
            self.stdout.write(_(
                "Passwords are not shown outside the embedded default; set one with "
                "`python manage.py changepassword USERNAME`."
            ))

"""The portal's URLs plus the bare reference page of the web benchmark (bench_web.py): a plain Django
page behind the same middleware and login that renders 50 rows from 5 simple queries. It exists
only in the benchmark's server (bench_settings.py); the portal itself never routes to it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from portal.models import Membership, Organization, Region
from portal.project.urls import handler403  # noqa: F401 - the portal's own 403 page
from portal.project.urls import urlpatterns as portal_urlpatterns
from programs.models import Call, ProgramType

BARE = engines["django"].from_string(
    "<!doctype html><html lang=\"zh-hans\"><head><title>bare</title></head><body>"
    "<h1>{{ user.username }}</h1><ul>{% for m in memberships %}<li>{{ m.role }}</li>{% endfor %}</ul>"
    "<table>{% for o in orgs %}<tr data-row=\"{{ o.pk }}\"><td>{{ o.name }}</td><td>{{ o.credit_code }}</td>"
    "<td>{{ o.kind }}</td><td>{{ o.region_id }}</td><td>{{ o.created_at|date:\"Y-m-d\" }}</td></tr>{% endfor %}"
    "</table><ul>{% for r in regions %}<li>{{ r.code }} {{ r.name }}</li>{% endfor %}</ul>"
    "<ul>{% for c in calls %}<li>{{ c.code }} {{ c.title }}</li>{% endfor %}</ul>"
    "<ul>{% for p in programs %}<li>{{ p.code }} {{ p.name }}</li>{% endfor %}</ul></body></html>"
)


@login_required
def bare(request):
    context = {
        "orgs": list(Organization.objects.only("name", "credit_code", "kind", "region_id", "created_at")
                     .order_by("pk")[:50]),
        "regions": list(Region.objects.only("code", "name").order_by("code")[:10]),
        "calls": list(Call.objects.only("code", "title").order_by("code")[:10]),
        "programs": list(ProgramType.objects.only("code", "name").order_by("code")[:10]),
        "memberships": list(Membership.objects.filter(user=request.user).only("role")),
    }
    return HttpResponse(BARE.render(context, request))


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *portal_urlpatterns]

"""Demo applications: a few enterprises' applications to the demo calls, made through the same
services a user goes through (commitment, draft, uploads, submission), so that a newcomer who signs
in as a county reviewer finds work in the queue and an enterprise finds its 我的业务 filled.

Idempotent: an organization that already has an application to a demo call is left alone.
``reset_demo_applications`` removes them (receipts included) so that the demo calls can be rebuilt.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps as registry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image
from weasyprint import HTML

from portal.access import actor_for
from portal.models import Organization, User
from programs.models import Call
from submissions.filing import services
from submissions.filing.uploads import allowed_types
from submissions.forms import form_spec
from submissions.models import Application, DocumentJob, Receipt
from submissions.policy import expert_grants
from submissions.review.experts import expert_assign

FIGURES = {  # the latest year; the year before is about 8 % lower
    "main_revenue": Decimal("26800"),
    "revenue": Decimal("27500"),
    "sales_revenue": Decimal("26100"),
    "rd_expenditure": Decimal("1180"),
    "profit": Decimal("2150"),
    "new_product_revenue": Decimal("9400"),
    "total_staff": 860,
    "rd_staff": 96,
}


@dataclass(frozen=True)
class DemoApplication:
    call_code: str
    organization: str
    username: str
    submit: bool
    scale: Decimal  # the enterprise's size relative to FIGURES


DEMO_APPLICATIONS = [
    DemoApplication("demo-jx-etc", "赣州虔东稀土新材料有限公司（演示）", "qiandong_admin", True, Decimal("1")),
    DemoApplication("demo-jx-etc", "赣州章江精密机械有限公司（演示）", "zhangjiang_admin", True, Decimal("0.6")),
    DemoApplication("demo-jx-etc", "南康家居智造有限公司（演示）", "nankang_admin", False, Decimal("0.4")),
    DemoApplication("demo-gs-etc", "兰州陇原石化装备有限公司（演示）", "longyuan_admin", True, Decimal("0.8")),
]


# (demo call, applicant, who assigns, the expert): the province assigns its demo expert to one application
DEMO_EXPERT_ASSIGNMENTS = [
    ("demo-jx-etc", "赣州虔东稀土新材料有限公司（演示）", "jx_officer", "jx_expert"),
]


def _number(value, scale: Decimal):
    if isinstance(value, int):
        return int(value * scale)
    return str((value * scale).quantize(Decimal("1")))


def _data_for(spec, org: Organization, scale: Decimal) -> tuple[dict, dict]:
    data: dict = {"profile": {
        "industry": org.industry or "制造业", "main_business": org.main_business or "演示用主营业务",
        "address": "演示地址", "contact_name": org.contact_name or "演示联系人",
        "contact_phone": org.contact_phone or "0797-0000000", "contact_email": org.contact_email or "demo@example.com",
    }}
    if spec.summary is not None:
        data["summary"] = (f"{org.name}企业技术中心成立于2016年，现有研发人员{int(96 * scale)}人，"
                           "设有材料、工艺、检测三个研究室，近三年承担省级以上科技项目5项。（演示数据）")
    figures: dict = {}
    for i, year in enumerate(spec.years):
        factor = scale if i == 0 else scale * Decimal("0.92")
        figures[year] = {key: _number(FIGURES[key], factor) for key in spec.figure_keys if key in FIGURES}
    data["figures"] = figures
    data["facts"] = {f.path.split(".", 1)[1]: "3" for f in spec.facts}
    data["declarations"] = {f.path.split(".", 1)[1]: True for f in spec.declarations}
    if spec.outline is not None:
        data["sections"] = {f.path.split(".", 1)[1]: "（演示数据）" for f in spec.section_fields()}
    inputs = {}
    for f in spec.inputs:
        key = f.path.split(".", 1)[1]
        if f.kind == "level":
            inputs[key] = f.choices[0][0] if f.choices else ""
        elif f.kind == "bool":
            inputs[key] = True
        elif f.kind == "integer":
            inputs[key] = str(max(1, int(4 * scale)))
        else:
            inputs[key] = str(_number(Decimal("300"), scale))
    return data, inputs


def _material_pdf(title: str, organization: str) -> bytes:

    body = (f"<h1>{html.escape(title)}</h1><p>{html.escape(organization)}</p>"
            "<p>演示材料：本文件由系统生成，仅用于演示。</p>")
    page = ('<html><head><meta charset="utf-8"><style>body{font-family:"Noto Sans CJK SC",sans-serif}'
            "</style></head><body>" + body + "</body></html>")
    return HTML(string=page).write_pdf()


def _material_png() -> bytes:


    out = io.BytesIO()
    Image.new("RGB", (600, 400), (235, 240, 248)).save(out, format="PNG")
    return out.getvalue()


def _upload_materials(actor, app: Application, org: Organization) -> None:


    for material in app.call.materials.filter(is_required=True):
        kinds = allowed_types(material)
        if "pdf" in kinds:
            content, name = _material_pdf(material.name, org.name), f"{material.name}.pdf"
        elif "png" in kinds:
            content, name = _material_png(), f"{material.name}.png"
        else:
            continue
        services.attachment_upload(actor=actor, application=app, material=material,
                                   file=SimpleUploadedFile(name, content, content_type="application/octet-stream"),
                                   filename=name)


def _discard(app: Application) -> None:
    """Remove a demo application that could not be completed, with its stored files."""
    for attachment in app.attachments.all():
        if attachment.file:
            attachment.file.delete(save=False)
    Receipt.objects.filter(application=app).delete()
    app.delete()


def load_demo_applications() -> list[str]:
    """Create the demo applications that do not exist yet. Returns one line per application made."""

    made = []
    for demo in DEMO_APPLICATIONS:
        call = Call.objects.filter(code=demo.call_code).first()
        org = Organization.objects.filter(name=demo.organization).first()
        user = User.objects.filter(username=demo.username).first()
        if call is None or org is None or user is None:
            continue
        if Application.objects.filter(call=call, organization=org).exists():
            continue
        actor = actor_for(user)
        with transaction.atomic():
            if (call.commitment_text or "").strip():
                services.commitment_accept(actor=actor, call=call, ip_address="127.0.0.1")
            app = services.application_start(actor=actor, call=call)
            data, inputs = _data_for(form_spec(call), org, demo.scale)
            outcome = services.application_save_draft(actor=actor, application=app, base_version=app.version,
                                                      data=data, score_inputs=inputs)
            if not outcome.saved:
                raise RuntimeError(f"demo draft of {org.name} not saved: {outcome.refused}")
        if demo.submit:
            # files are written outside any transaction (no row lock held while writing); a failure
            # removes the half-made application and its files, as the transaction did before
            try:
                _upload_materials(actor, app, org)
                app.refresh_from_db()
                services.application_submit(actor=actor, application=app)
            except BaseException:
                _discard(app)
                raise
        app.refresh_from_db()
        made.append(f"{org.name} → {call.code}: {app.get_status_display()}")
    return made


def load_demo_expert_assignments() -> list[str]:
    """Assign the demo expert to its demo application through the real service (once). Returns one
    line per assignment made."""
    made = []
    for call_code, organization, assigner, expert_name in DEMO_EXPERT_ASSIGNMENTS:
        app = Application.objects.filter(call__code=call_code, organization__name=organization).first()
        by = User.objects.filter(username=assigner).first()
        expert = User.objects.filter(username=expert_name).first()
        if app is None or by is None or expert is None or expert_grants(application=app, user=expert).exists():
            continue
        expert_assign(actor=actor_for(by), application=app, expert=expert)
        made.append(f"{expert.username} → {app.organization.name} ({call_code})")
    return made


@transaction.atomic
def reset_demo_applications(call_codes) -> int:
    """Remove the applications to the demo calls (demo data only), their receipts and files."""
    apps = list(Application.objects.filter(call__code__in=list(call_codes)))
    for app in apps:
        for attachment in app.attachments.all():
            if attachment.file:
                attachment.file.delete(save=False)
    for job in DocumentJob.objects.filter(call__code__in=list(call_codes)):  # packets and summary tables
        if job.file:
            job.file.delete(save=False)
        job.delete()
    Receipt.objects.filter(application__in=apps).delete()
    count = len(apps)
    Application.objects.filter(pk__in=[a.pk for a in apps]).delete()
    # what else hangs on the demo calls (commitments, quota counters, extensions, ...)


    calls = list(Call.objects.filter(code__in=list(call_codes)))
    for model in registry.get_models():
        if model._meta.app_label not in ("submissions", "scoring"):
            continue
        for f in model._meta.get_fields():
            if f.many_to_one and f.concrete and f.related_model is Call:
                model._default_manager.filter(**{f"{f.name}__in": calls}).delete()
    return count

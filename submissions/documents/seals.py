"""A bureau's seal (印章): a PNG with transparency uploaded once by the bureau head, placed on the
bureau's recommendation letters and at 推荐地区（盖章） of its summary tables."""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.access import Actor
from portal.services import audit_record
from submissions.models import BureauSeal
from submissions.policy import can_upload_seal

SEAL_MAX_BYTES = 2 * 1024 * 1024


def check_seal(data: bytes) -> None:
    """A PNG with transparency (alpha channel or a transparent colour), not too large."""
    if not data:
        raise ValidationError(_("Choose the seal's PNG file."))
    if len(data) > SEAL_MAX_BYTES:
        raise ValidationError(_("The seal image is larger than 2 MB."))
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            kind, mode, info = img.format, img.mode, img.info
            size = img.size
            transparent = mode in ("RGBA", "LA", "PA") or "transparency" in info
            if transparent and mode == "RGBA":
                transparent = img.getchannel("A").getextrema()[0] < 255
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(_("The seal must be a PNG image.")) from None
    if kind != "PNG":
        raise ValidationError(_("The seal must be a PNG image."))
    if not transparent:
        raise ValidationError(_("The seal image has no transparent background: export it as a PNG with "
                                "transparency, so that the text under it shows through."))
    if min(size) < 100:
        raise ValidationError(_("The seal image is too small: at least 100 × 100 pixels."))


@transaction.atomic
def seal_upload(*, actor: Actor, data: bytes) -> BureauSeal:
    """The bureau head stores the bureau's seal (replacing an earlier one). Audited."""
    decision = can_upload_seal(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    check_seal(data)
    organization = actor.organization
    seal = BureauSeal.objects.select_for_update().filter(organization=organization).first()
    old = seal.image.name if seal else ""
    if seal is None:
        seal = BureauSeal(organization=organization)
    seal.sha256 = hashlib.sha256(data).hexdigest()
    seal.uploaded_by = actor.user
    seal.uploaded_at = timezone.now()
    seal.image.save("seal.png", ContentFile(data), save=False)
    seal.save()
    audit_record(actor=actor, action="seal.upload", obj=seal, province=organization.region.province or
                 organization.region, region=organization.region, organization=organization,
                 data={"sha256": seal.sha256, "replaced": bool(old)})
    return seal

"""The two steps of an XLSX import page, shared by every import: upload and check (a preview of
what would be stored and of every bad row with its reason), then store. The checked file waits in
the user's session between the steps, so what is stored is exactly what was previewed (it is
checked again when stored); a file with any bad row stores nothing."""

from __future__ import annotations

import base64
import hashlib
from typing import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.xlsx_import import MAX_BYTES


def import_page(request, *, key: str, template: str, context: dict, check: Callable[[bytes], object],
                store: Callable[[bytes], object], done: Callable[[object], str], success: Callable[[object], str]):
    """`check(content)` returns an ImportCheck; `store(content)` stores it (all or nothing) and
    returns what `done` (the URL to go to) and `success` (the message) describe."""
    session_key = f"import:{key}"
    result = None
    if request.method == "POST" and request.POST.get("step") == "store":
        saved = request.session.get(session_key) or {}
        if not saved or saved.get("digest") != request.POST.get("digest"):
            messages.error(request, _("Upload the file again: the checked file is no longer at hand."))
        else:
            content = base64.b64decode(saved["content"])
            try:
                stored = store(content)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                result = _check(request, check, content)
            else:
                request.session.pop(session_key, None)
                messages.success(request, success(stored))
                return redirect(done(stored))
    elif request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the file to upload."))
        elif upload.size > MAX_BYTES:
            messages.error(request, _("The file is larger than 5 MB."))
        else:
            content = upload.read()
            result = _check(request, check, content)
            if result is not None and result.ok:
                request.session[session_key] = {"content": base64.b64encode(content).decode("ascii"),
                                                "digest": hashlib.sha256(content).hexdigest()}
    digest = (request.session.get(session_key) or {}).get("digest") if result is not None and result.ok else None
    return render(request, template, {**context, "result": result, "digest": digest})


def _check(request, check, content):
    try:
        return check(content)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None

"""PAdES signatures (baseline B-B, pyHanko) on every PDF the portal builds, and their verification.

The portal signs with its own certificate: in production the PEM files named by the settings
``SIGNING_KEY_FILE`` / ``SIGNING_CERT_FILE`` (``SIGNING_KEY_PASSPHRASE``); in the embedded default a
self-signed certificate made at set-up (``manage.py signing_certificate``, run by ``make migrate``)
or on first use under ``var/signing/``. A signature is the last change to a file: whatever changes
afterwards, even one byte, breaks it.

``verify_pdf(data)`` answers whether a PDF is an unaltered document signed by the portal: the
signature intact (the digest of the signed bytes matches), made by the portal's certificate, and
covering the whole file (nothing appended after it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

FIELD_NAME = "PortalSignature"
SIGNATURE_BYTES = 16384  # room for the CMS container (RSA-2048 with its certificate: ~2 kB)
KEY_NAME, CERT_NAME = "portal-signing-key.pem", "portal-signing-cert.pem"


def _paths() -> tuple[Path, Path]:
    if settings.SIGNING_KEY_FILE and settings.SIGNING_CERT_FILE:
        return Path(settings.SIGNING_KEY_FILE), Path(settings.SIGNING_CERT_FILE)
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured("SIGNING_KEY_FILE and SIGNING_CERT_FILE must name the portal's signing key "
                                   "and certificate in production.")
    return Path(settings.SIGNING_DIR) / KEY_NAME, Path(settings.SIGNING_DIR) / CERT_NAME


def ensure_certificate() -> tuple[Path, bool]:
    """The embedded default's self-signed signing certificate: made once if missing.
    Returns (certificate path, made now)."""
    key_path, cert_path = _paths()
    if key_path.exists() and cert_path.exists():
        return cert_path, False
    if settings.SIGNING_KEY_FILE and settings.SIGNING_CERT_FILE:
        raise ImproperlyConfigured(f"The signing key or certificate is missing: {key_path}, {cert_path}")
    from cryptography import x509  # noqa: PLC0415 - only when a certificate is made
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "技术创新平台申报系统"),
        x509.NameAttribute(NameOID.COMMON_NAME, "技术创新平台申报系统 文件签名"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    for path, data, mode in (
        (key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()), 0o600),
        (cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644),
    ):
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)  # never replaces a file another process made first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return cert_path, True


def _loaded_key_signer(loaded):
    """`loaded` (pyHanko's ``SimpleSigner``) as a signer that loads its private key into OpenSSL
    once: pyHanko's own loads it again for every signature (``SimpleSigner.sign_raw``), ~36-47 ms
    for an RSA-2048 key (OpenSSL checks it), more than the rest of signing a letter. RSA PKCS#1 v1.5
    (the mechanism pyHanko picks for an RSA certificate) is signed with the loaded key; any other
    mechanism as pyHanko signs it."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - only the worker signs
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: PLC0415
    from pyhanko.sign import signers  # noqa: PLC0415
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash  # noqa: PLC0415

    class LoadedKeySigner(signers.SimpleSigner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.private_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                name = mechanism.signature_algo
            except ValueError:
                name = mechanism["algorithm"].native
            if name != "rsassa_pkcs1v15":
                return super().sign_raw(data, digest_algorithm)
            return self.private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

    return LoadedKeySigner(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                           cert_registry=loaded.cert_registry)


@lru_cache(maxsize=4)
def _signer(key_path: str, cert_path: str, key_mtime: float, cert_mtime: float):
    """The signer of these files as they were at these modification times: loaded once per process
    (a key or certificate replaced in place is loaded again)."""
    from pyhanko.sign import signers  # noqa: PLC0415 - pyHanko loads slowly; only the worker signs

    passphrase = settings.SIGNING_KEY_PASSPHRASE.encode() if settings.SIGNING_KEY_PASSPHRASE else None
    loaded = signers.SimpleSigner.load(key_path, cert_path, key_passphrase=passphrase)
    if loaded is None:
        raise ImproperlyConfigured(f"Cannot load the signing key {key_path} and certificate {cert_path}.")
    return _loaded_key_signer(loaded)


def signer():
    cert_path, _made = ensure_certificate()
    key_path, _cert = _paths()
    return _signer(str(key_path), str(cert_path), key_path.stat().st_mtime, cert_path.stat().st_mtime)


def portal_certificate():
    return signer().signing_cert


def _outside_event_loop(function, *args, **kwargs):
    """Call `function` (pyHanko's synchronous API, which runs its own event loop with asyncio.run) in
    this thread, or in a helper thread when this one already runs an event loop (an async view, a
    browser-driving test): asyncio.run refuses to start inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="portal-signing") as pool:
        return pool.submit(function, *args, **kwargs).result()


def _sign(source, output, *, reason: str, location: str) -> None:
    """Sign the PDF read from the stream `source` into the stream `output` (readable, writable and
    seekable), PAdES B-B, SHA-256, as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415
    from pyhanko.sign import fields, signers  # noqa: PLC0415

    writer = IncrementalPdfFileWriter(source, strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200], location=location[:200] or None,
    )
    # the signature container's room is given (an estimate would sign twice)
    _outside_event_loop(signers.sign_pdf, writer, meta, signer=signer(), bytes_reserved=SIGNATURE_BYTES,
                        output=output)


def sign_pdf(data: bytes, *, reason: str, location: str = "") -> bytes:
    """`data` signed by the portal (PAdES B-B, SHA-256), as an incremental update."""
    out = io.BytesIO()
    _sign(io.BytesIO(data), out, reason=reason, location=location)
    return out.getvalue()


def sign_file(source: Path, target: Path, *, reason: str, location: str = "") -> None:
    """The PDF file `source` signed by the portal into the file `target`, file to file (a packet of
    hundreds of pages is never held in memory)."""
    with source.open("rb") as src, target.open("w+b") as out:
        _sign(src, out, reason=reason, location=location)


@dataclass
class Verification:
    signed: bool = False  # a signature by the portal's certificate was found
    intact: bool = False  # … and the file is exactly what was signed
    signed_at: dt.datetime | None = None
    reason: str = ""

    @property
    def unaltered(self) -> bool:
        return self.signed and self.intact


def _padding_untouched(signature) -> bool:
    """The signature's /Contents is the CMS container followed by zeros only (the digest does not
    cover /Contents: a byte changed in its padding must not pass)."""
    from asn1crypto import cms  # noqa: PLC0415

    raw = bytes(signature.sig_object["/Contents"])
    der = cms.ContentInfo.load(raw, strict=False).dump()
    return raw[:len(der)] == der and not raw[len(der):].strip(b"\x00")


def verify_pdf(data: bytes) -> Verification:
    """Is `data` a PDF signed by the portal and unaltered since?"""
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415

    result = Verification()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - any unreadable file is simply not a verified document
        return result
    ours = portal_certificate()
    for signature in signatures:
        try:
            if signature.signer_cert.dump() != ours.dump():
                continue
            result.signed = True
            status = _outside_event_loop(validate_pdf_signature, signature,
                                         ValidationContext(trust_roots=[ours]))
        except Exception:  # noqa: BLE001 - a damaged signature is not a valid one
            logger.info("a signature could not be validated", exc_info=True)
            continue
        result.signed_at = status.signer_reported_dt
        result.reason = str(signature.sig_object.get("/Reason", "") or "")
        result.intact = bool(status.intact and status.valid and status.trusted
                             and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                             and _padding_untouched(signature))
        if result.intact:
            return result
    return result

"""Make the portal's signing certificate (embedded default: self-signed, under var/signing/) if it is
missing, and print which certificate signs the portal's PDFs."""

from django.core.management.base import BaseCommand

from submissions.documents.signing import ensure_certificate, portal_certificate


class Command(BaseCommand):
    help = "Make the portal's PDF signing certificate if missing (embedded default) and show it."

    def handle(self, *args, **options):
        path, made = ensure_certificate()
        cert = portal_certificate()
        self.stdout.write(f"{'made' if made else 'found'} {path}: {cert.subject.human_friendly}, "
                          f"SHA-256 {cert.sha256.hex()}")

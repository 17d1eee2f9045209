"""API fields shared by the applicant's and the review side's serializers."""

from __future__ import annotations

from rest_framework import serializers


class CurrentReceiptFields(serializers.Serializer):
    """`number` and `fingerprint` of the application's current receipt (`Application.current_receipt`),
    the latest submission: after a return and a resubmission, the new one."""

    number = serializers.SerializerMethodField(help_text="the current receipt's number (the latest submission)")
    fingerprint = serializers.SerializerMethodField(help_text="the current receipt's SHA-256 fingerprint")

    def get_number(self, obj) -> str:
        receipt = obj.current_receipt()
        return receipt.number if receipt else ""

    def get_fingerprint(self, obj) -> str:
        receipt = obj.current_receipt()
        return receipt.fingerprint if receipt else ""

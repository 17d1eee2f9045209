"""Operators' view of rubrics and assessments: read-only (rubrics change by uploading a new
version, assessments by recording a new one; both leave audit entries)."""

from django.contrib import admin

from .models import Assessment, Rubric, RubricVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rubric)
class RubricAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "created_at"]
    search_fields = ["code", "title"]


@admin.register(RubricVersion)
class RubricVersionAdmin(ReadOnlyAdmin):
    list_display = ["rubric", "version", "label", "status", "province", "uploaded_at", "published_at"]
    list_filter = ["status", "province"]
    search_fields = ["rubric__code", "sha256"]
    exclude = ["source_text"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["organization", "rubric_version", "scorer_kind", "total", "eligible", "scored_at"]
    list_filter = ["scorer_kind", "eligible"]
    search_fields = ["organization__name", "organization__credit_code"]
    raw_id_fields = ["organization", "rubric_version", "call", "scored_by", "scorer_organization"]

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .holidays.services import working_day_deadlines_recompute
from .models import (
    CalendarDay,
    CalendarYear,
    Call,
    Contact,
    EligibilityCondition,
    ProgramType,
    Quota,
    RequiredMaterial,
    Stage,
)


class StageInline(admin.StackedInline):
    model = Stage
    extra = 0
    raw_id_fields = ["region"]


class QuotaInline(admin.TabularInline):
    model = Quota
    extra = 0
    raw_id_fields = ["region"]


class ConditionInline(admin.StackedInline):
    model = EligibilityCondition
    extra = 0


class MaterialInline(admin.TabularInline):
    model = RequiredMaterial
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(ProgramType)
class ProgramTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "multi_organization"]
    search_fields = ["code", "name"]


@admin.register(Call)
class CallAdmin(GuardedModelAdmin):
    list_display = ["code", "title", "province", "program", "year", "batch", "status"]
    list_filter = ["status", "province", "program", "year"]
    search_fields = ["code", "title", "document_number"]
    raw_id_fields = ["province", "issuing_region"]
    inlines = [StageInline, QuotaInline, ConditionInline, MaterialInline, ContactInline]


class RecomputesDeadlines:
    """A change of the calendar in the admin moves the stored working-day deadlines at once."""

    def _recompute(self, request, what):
        working_day_deadlines_recompute(actor=getattr(request, "actor", None), reason=f"admin: {what}")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute(request, obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._recompute(request, "bulk delete")


@admin.register(CalendarDay)
class CalendarDayAdmin(RecomputesDeadlines, admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(RecomputesDeadlines, admin.ModelAdmin):
    list_display = ["year", "source", "entered_by", "entered_at"]

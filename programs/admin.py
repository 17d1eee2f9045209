from django.contrib import admin
from guardian.admin import GuardedModelAdmin

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


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "entered_by", "entered_at"]

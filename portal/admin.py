from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .access import actor_for
from .accounts import login_unlock
from .models import AuditEntry, CreditCodeException, Membership, Organization, OutboxMessage, Region, User
from .outbox import MAX_ATTEMPTS
from .services import credit_code_exception_record


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Portal"), {"fields": ("phone", "active_membership")}),)
    raw_id_fields = ["active_membership"]

    def has_delete_permission(self, request, obj=None):
        # the audit trail names its actors and cannot be changed: such an account is deactivated instead
        if obj is not None and AuditEntry.objects.filter(actor=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent"]
    list_filter = ["level", "kind", "province"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["province", "city"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "region", "is_approved"]
    list_filter = ["kind", "is_approved", "region__province"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["region"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "organization__name"]
    raw_id_fields = ["user", "organization"]


@admin.register(CreditCodeException)
class CreditCodeExceptionAdmin(admin.ModelAdmin):
    list_display = ["code", "reason", "recorded_by", "recorded_at"]
    search_fields = ["code"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):

        credit_code_exception_record(actor=actor_for(request.user), code=obj.code, reason=obj.reason)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: audit rows are never edited or deleted."""

    list_display = ["at", "actor", "actor_role", "action", "object_repr", "from_state", "to_state"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor__username", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read only, for operators: what was (or is still to be) sent to whom, and why it failed."""

    list_display = ["created_at", "kind", "recipient", "subject", "state", "attempts", "sent_at"]
    list_filter = ["kind", "hold", ("sent_at", admin.EmptyFieldListFilter), ("dropped_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject"]
    raw_id_fields = ["audit_entry"]
    date_hierarchy = "created_at"

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.sent_at:
            return _("sent")
        if obj.dropped_at:
            return _("dropped")
        if obj.hold and obj.released_at is None:
            return _("held")
        if obj.attempts >= MAX_ATTEMPTS:
            return _("failed, given up")
        if obj.last_error:
            return _("failed, to be retried")
        return _("waiting")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Sign-in lockouts (django-axes): operators lift them with an audited action, never by deleting rows.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = ["unlock"]

    @admin.action(description=_("Lift the sign-in lockout (audited)"))
    def unlock(self, request, queryset):
        lifted = login_unlock(actor=actor_for(request.user), attempts=list(queryset))
        self.message_user(request, _("%(n)s lockout(s) lifted.") % {"n": lifted}, messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False

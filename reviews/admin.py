from django.contrib import admin

from .models import AgentWeek, Assignment, AuditEvent, ReviewWeek, TeamSettings


@admin.register(TeamSettings)
class TeamSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "reviews_per_week", "week_starts_on", "week_starts_at", "time_zone", "lookback_days"]


class AgentWeekInline(admin.TabularInline):
    model = AgentWeek
    fields = readonly_fields = ("agent", "quota", "required", "is_away", "joined_midweek")
    extra = 0
    can_delete = False


@admin.register(ReviewWeek)
class ReviewWeekAdmin(admin.ModelAdmin):
    list_display = ["team", "label", "starts_at", "ends_at", "assigned_at", "lookback_days_used"]
    list_filter = ["team"]
    readonly_fields = ["seed", "assigned_at", "lookback_days_used"]
    inlines = [AgentWeekInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["conversation", "reviewer", "reviewee", "week", "kind", "status", "skip_reason", "completed_at"]
    list_filter = ["status", "kind", "skip_reason", "week__team"]
    list_select_related = ["conversation", "reviewer", "reviewee", "week__team"]
    raw_id_fields = ["conversation", "reviewer", "reviewee", "week"]
    search_fields = ["reviewer__name", "reviewee__name", "conversation__external_id"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "review"]
    list_filter = ["action"]
    list_select_related = ["actor", "review__conversation"]
    readonly_fields = ["created_at", "action", "actor", "review", "changes"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from . import services
from .models import (
    AgentWeek,
    Assignment,
    AuditEvent,
    Criterion,
    Rating,
    Review,
    ReviewComment,
    ReviewWeek,
    Scorecard,
    TeamSettings,
)


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


class ReadMostly(admin.ModelAdmin):
    """Staff read these; what people wrote is changed only through the app, never here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ShownInline(admin.TabularInline):
    """Rows shown with their parent, never changed here: ratings belong to their review,
    criteria to their scorecard version."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RatingInline(ShownInline):
    model = Rating
    fields = readonly_fields = ("criterion", "level", "score", "note")


@admin.register(Review)
class ReviewAdmin(ReadMostly):
    list_display = ["created_at", "conversation", "reviewer", "reviewee", "score", "scorecard"]
    list_filter = ["share_as_example", "csat_cause", "assignment__week__team"]
    list_select_related = ["conversation", "reviewer", "reviewee", "scorecard__team"]
    inlines = [RatingInline]
    search_fields = ["reviewer__name", "reviewee__name", "conversation__subject", "conversation__external_id"]

    # A review written in error can be deleted; what it said is kept in the audit log.
    def delete_model(self, request, obj):
        services.review_delete(review=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for review in queryset.select_related("conversation", "reviewer", "reviewee"):
            services.review_delete(review=review, actor=request.user)


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadMostly):
    list_display = ["created_at", "author", "review"]
    list_select_related = ["author", "review__conversation"]
    search_fields = ["body", "author__email"]

    def delete_model(self, request, obj):
        services.review_comment_delete(comment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for comment in queryset.select_related("author", "review"):
            services.review_comment_delete(comment=comment, actor=request.user)


class CriterionInline(ShownInline):
    model = Criterion
    fields = readonly_fields = (
        "position",
        "name",
        "scale",
        "weight",
        "allow_na",
        "critical",
        "low_levels",
        "note_required_when_low",
    )


@admin.register(Scorecard)
class ScorecardAdmin(ReadMostly):
    inlines = [CriterionInline]
    list_display = ["team", "version", "created_at", "created_by"]
    list_filter = ["team"]

    def has_delete_permission(self, request, obj=None):
        return False  # reviews keep the version they were made with

from django.contrib import admin

from .models import Agent, Conversation, Message, SyncCursor, SyncProblem, SyncRun, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "external_id"]
    search_fields = ["name"]
    filter_horizontal = ["leads"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "team", "is_active", "is_away", "user", "source"]
    list_filter = ["team", "is_active", "is_away", "source"]
    search_fields = ["name", "email", "external_id"]
    raw_id_fields = ["user"]


class MessageInline(admin.TabularInline):
    model = Message
    fields = readonly_fields = ("created_at", "author_kind", "author_name", "body_text")
    extra = 0
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "assignee",
        "team",
        "closed_at",
        "csat_rating",
        "exclusion_reason",
        "source",
    ]
    list_filter = ["exclusion_reason", "team", "source", "state", "csat_rating"]
    search_fields = ["external_id", "subject"]
    date_hierarchy = "updated_at"
    list_select_related = ["assignee", "team"]
    raw_id_fields = ["assignee"]
    inlines = [MessageInline]


class SyncProblemInline(admin.TabularInline):
    model = SyncProblem
    fields = readonly_fields = ("external_id", "message", "payload_excerpt")
    extra = 0
    can_delete = False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "source",
        "status",
        "fetched",
        "created",
        "updated",
        "kept",
        "excluded",
        "errors",
    ]
    list_filter = ["status", "source"]
    readonly_fields = [field.name for field in SyncRun._meta.fields]
    inlines = [SyncProblemInline]


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ["source", "updated_since", "resume_token", "lock_owner", "lock_expires_at"]

"""Review workflows: the weekly quota (quota.py), writing and reading reviews (reviewing.py),
what a lead does for a teammate's account (accounts.py), and the emails (notifications.py)."""

from .accounts import sign_in_unlock
from .notifications import nudges_send, weekly_emails_send
from .quota import (
    QuotaError,
    assignment_complete,
    assignment_skip,
    assignments_pull,
    current_week_start,
    due_weeks_assign,
    is_reviewer,
    quota_refresh,
    review_week_get_or_create,
    team_settings_get,
    week_assign,
)
from .reviewing import (
    RUBRIC_FIELDS,
    ReviewError,
    highlight_unshare,
    review_acknowledge,
    review_comment_add,
    review_comment_delete,
    review_delete,
    review_submit,
    rubric_current,
    rubric_update,
)

__all__ = [
    "RUBRIC_FIELDS",
    "QuotaError",
    "ReviewError",
    "assignment_complete",
    "assignment_skip",
    "assignments_pull",
    "current_week_start",
    "due_weeks_assign",
    "highlight_unshare",
    "is_reviewer",
    "nudges_send",
    "quota_refresh",
    "review_acknowledge",
    "review_comment_add",
    "review_comment_delete",
    "review_delete",
    "review_submit",
    "review_week_get_or_create",
    "rubric_current",
    "rubric_update",
    "sign_in_unlock",
    "team_settings_get",
    "week_assign",
    "weekly_emails_send",
]

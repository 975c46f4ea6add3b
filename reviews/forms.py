import zoneinfo
from collections.abc import Iterable

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

from conversations.models import Agent

from .models import NOTE_MAX_LENGTH, NotificationSettings, Review, Rubric, SkipReason, TeamSettings
from .selectors import AgentName

NOTE_HELP = f"Up to {NOTE_MAX_LENGTH:,} characters."
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


class LongSelect(forms.Select):
    """A <select> of hundreds of options (a team's people, the time zones), written here rather
    than through Django's template per option: 500 options cost a millisecond, not a hundred."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in chosen else ""}>{escape(label)}</option>'
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return mark_safe(f"<select{attributes}>{options}</select>")  # every value above is escaped


def _agents_offer(form: forms.Form, agents: Iterable[Agent | AgentName], *, empty: str) -> None:
    """The team's agents as the choices of the form's `agent` field, after `empty`."""
    field = form.fields["agent"]
    assert isinstance(field, forms.TypedChoiceField)
    field.choices = [("", empty), *((agent.pk, agent.name) for agent in agents)]


class PullForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=20, initial=3, label="How many more")


class SkipForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *SkipReason.choices])
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, widget=forms.TextInput, label="Note")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == SkipReason.OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", "Say in a few words why this conversation cannot be reviewed.")
        return cleaned


class TeamSettingsForm(forms.ModelForm):
    class Meta:
        model = TeamSettings
        fields = [
            "reviews_per_week",
            "week_starts_on",
            "week_starts_at",
            "time_zone",
            "lookback_days",
            "max_lookback_days",
            "lowest_csat_percent",
            "highest_csat_percent",
            "leads_review",
            "leads_are_reviewed",
            "midweek_joiners",
        ]
        widgets = {
            "week_starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "time_zone": LongSelect(choices=[(zone, zone.replace("_", " ")) for zone in TIME_ZONES]),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser gets the same bounds the model checks, so it never offers what the
        # server then refuses.
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField):
                for validator in TeamSettings._meta.get_field(name).validators:
                    if isinstance(validator, MinValueValidator):
                        field.widget.attrs["min"] = validator.limit_value
                    elif isinstance(validator, MaxValueValidator):
                        field.widget.attrs["max"] = validator.limit_value


class ReviewForm(forms.ModelForm):
    followed_process = forms.TypedChoiceField(
        label="Followed internal processes",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the internal processes were followed."},
    )

    class Meta:
        model = Review
        fields = list(Review.ANSWER_FIELDS)
        labels = {
            "quality_note": "Notes on quality",
            "tone_note": "Notes on tone",
            "process_note": "Notes on processes",
            "share_as_example": "Share as an example for the team",
        }
        help_texts = {"quality_note": NOTE_HELP, "tone_note": NOTE_HELP, "process_note": NOTE_HELP}
        widgets = {
            "quality": forms.RadioSelect,
            "tone": forms.RadioSelect,
            "quality_note": forms.Textarea(attrs={"rows": 3}),
            "tone_note": forms.Textarea(attrs={"rows": 3}),
            "process_note": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "quality": {"required": "Choose a level for quality."},
            "tone": {"required": "Choose a level for tone."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("quality", "tone"):
            # No blank "---------" radio: a level must be chosen.
            self.fields[name].choices = [choice for choice in self.fields[name].choices if choice[0] != ""]
        if self.instance.pk:
            self.initial["followed_process"] = "yes" if self.instance.followed_process else "no"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("share_as_example") and not (cleaned.get("quality_note") or cleaned.get("tone_note")):
            self.add_error("quality_note", "Say what makes it a good example before sharing it with the team.")
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=NOTE_MAX_LENGTH,
        help_text=NOTE_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write something before sending a reply."},
    )


class RubricForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = [
            "quality_needs_improvement",
            "quality_good",
            "quality_exceptional",
            "tone_needs_improvement",
            "tone_good",
            "tone_exceptional",
            "process_checklist",
        ]
        widgets = {field: forms.Textarea(attrs={"rows": 2}) for field in fields}


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["weekly_email", "nudges"]
        labels = {"weekly_email": "Weekly email", "nudges": "Mid-week reminders"}


class ExportForm(forms.Form):
    """Which reviews a lead's export holds, beyond the weeks shown: by date, agent and tag."""

    start = forms.DateField(required=False, label="Reviewed from", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="Reviewed until", widget=forms.DateInput(attrs={"type": "date"}))
    agent = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Agent reviewed", widget=LongSelect
    )
    tag = forms.CharField(required=False, max_length=100, label="Conversation tag")

    def __init__(self, *args, agents: Iterable[Agent | AgentName], **kwargs):
        """`agents`: the team's, which a page may already hold (no query of its own)."""
        super().__init__(*args, **kwargs)
        _agents_offer(self, agents, empty="Every agent")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return cleaned


class AbsenceForm(forms.Form):
    """A lead marks a teammate away for some days."""

    agent = forms.TypedChoiceField(coerce=int, label="Teammate", widget=LongSelect)
    starts_on = forms.DateField(label="First day away", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day away", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        _agents_offer(self, agents, empty="Choose a teammate")

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The last day away cannot be before the first day away.")
        return cleaned


class InvitationAcceptForm(forms.Form):
    """An invited teammate chooses the password of their new account."""

    password1 = forms.CharField(
        label="Choose a password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="The same password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same.")
        elif first:
            try:
                # The account to be: the validators compare the password with its email.
                password_validation.validate_password(first, user=User(email=self.email, username=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

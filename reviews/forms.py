import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

from conversations.models import Agent, ExclusionReason, Team
from conversations.services import INCLUDE_NOTE_MAX

from .models import (
    NOTE_MAX_LENGTH,
    SCALE_SIZES,
    CsatCause,
    FocusItem,
    FocusOutcome,
    LevelExample,
    NotificationSettings,
    Review,
    Scale,
    Signal,
    SkipReason,
    TeamSettings,
)
from .scorecards import CriterionSpec, LevelSpec, RatingAnswer, ScorecardSpec, criterion_spec, default_levels
from .search import Filters
from .selectors import AgentName, Candidate, HighlightFilters
from .services.calibration import AgreedAnswer
from .services.coaching import ActionAnswer

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
    spotlight_signals = forms.MultipleChoiceField(
        label="Signals",
        choices=Signal.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=TeamSettings._meta.get_field("spotlight_signals").help_text,
    )

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
            "start_stop_continue",
            "second_opinion_percent",
            "ramp_weeks",
            "ramp_multiplier",
            "blind_reviewee",
            "anonymous_reviewer",
            "dispute_days",
            "self_review_first",
            "spotlight_percent",
            "spotlight_signals",
            "complaint_tags",
            "escalation_tags",
            "slow_close_hours",
            "many_back_and_forths",
            "complaint_topics",
        ]
        widgets = {
            "complaint_topics": forms.Textarea(attrs={"rows": 3}),
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


NOT_APPLICABLE = "na"


@dataclass(frozen=True)
class LevelChoice:
    """One level as the form offers it, with the team's agreed examples of it."""

    level: LevelSpec
    examples: tuple[LevelExample, ...] = ()


@dataclass(frozen=True)
class CriterionFields:
    """One criterion's part of a scorecard form, as its template draws it."""

    criterion: CriterionSpec
    level: forms.BoundField
    note: forms.BoundField
    causes: forms.BoundField | None
    shortcuts: dict[str, str]  # level value -> key to press
    note_shortcut: str
    levels: tuple[LevelChoice, ...]


def _shortcuts(criteria: tuple[CriterionSpec, ...]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Keys for the keyboard: the digits in turn for the levels (Quality 1-3, Tone 4-6 on the
    default scorecard) of each criterion they are enough for, y and n for the first yes/no
    criterion, and a criterion's initial letter for its note (q, t, p)."""
    levels: dict[str, dict[str, str]] = {}
    notes: dict[str, str] = {}
    digits = list("123456789")
    yes_no_taken = False
    taken = {"y", "n", "?"}
    for criterion in criteria:
        if criterion.scale == Scale.YES_NO and not yes_no_taken:
            levels[criterion.key] = {"2": "y", "1": "n"}
            yes_no_taken = True
        elif criterion.size <= len(digits):
            levels[criterion.key] = {str(level.value): digits.pop(0) for level in criterion.levels}
        initial = criterion.key[:1]
        if initial.isalpha() and initial not in taken:
            notes[criterion.key] = initial
            taken.add(initial)
    return levels, notes


class ScorecardForm(forms.Form):
    """A level (or N/A), a note and, when rated low, root causes per criterion of one
    scorecard version: what a review, a calibration score and an agent's own rating share
    (those two without root causes, which only a review keeps)."""

    def __init__(
        self,
        data=None,
        *,
        scorecard: ScorecardSpec,
        initial: dict | None = None,
        examples: Iterable[LevelExample] = (),
        root_causes: bool = True,
    ):
        super().__init__(data, initial=initial)
        self.scorecard = scorecard
        self.root_causes = root_causes
        self.examples: dict[tuple[str, int], list[LevelExample]] = {}
        for example in examples:
            self.examples.setdefault((example.criterion_key, example.level), []).append(example)
        self.level_shortcuts, self.note_shortcuts = _shortcuts(scorecard.criteria)
        for criterion in scorecard.criteria:
            choices = [(str(level.value), level.label) for level in criterion.levels]
            if criterion.allow_na:
                choices.append((NOT_APPLICABLE, "N/A"))
            self.fields[criterion.key] = forms.ChoiceField(
                label=criterion.name,
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose a level for {criterion.name}."},
            )
            note_attrs: dict[str, str | int] = {"rows": 3}
            if criterion.key in self.note_shortcuts:
                note_attrs["data-shortcut"] = self.note_shortcuts[criterion.key]
            self.fields[f"{criterion.key}_note"] = forms.CharField(
                label=f"Notes on {criterion.name.lower()}",
                required=False,
                max_length=NOTE_MAX_LENGTH,
                help_text=NOTE_HELP,
                widget=forms.Textarea(attrs=note_attrs),
            )
            if criterion.root_causes and root_causes:
                self.fields[f"{criterion.key}_causes"] = forms.TypedMultipleChoiceField(
                    label=f"If {criterion.low_labels}: what was missed",
                    choices=list(enumerate(criterion.root_causes, start=1)),
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )

    def criteria_fields(self) -> list[CriterionFields]:
        return [
            CriterionFields(
                criterion=criterion,
                level=self[criterion.key],
                note=self[f"{criterion.key}_note"],
                causes=self[f"{criterion.key}_causes"] if f"{criterion.key}_causes" in self.fields else None,
                shortcuts=self.level_shortcuts.get(criterion.key, {}),
                note_shortcut=self.note_shortcuts.get(criterion.key, ""),
                levels=tuple(
                    LevelChoice(
                        level,
                        tuple(
                            example
                            for example in self.examples.get((criterion.key, level.value), ())
                            if example.scale == criterion.scale
                        ),
                    )
                    for level in criterion.shown_levels
                ),
            )
            for criterion in self.scorecard.criteria
        ]

    def clean(self):
        cleaned = super().clean()
        for criterion in self.scorecard.criteria:
            level = _level(cleaned.get(criterion.key))
            note = cleaned.get(f"{criterion.key}_note", "")
            if criterion.note_required_when_low and criterion.is_low(level) and not note.strip():
                self.add_error(
                    f"{criterion.key}_note",
                    f"Say what to improve: a note is required when {criterion.name} is {criterion.label_of(level)}.",
                )
        return cleaned

    def ratings(self) -> dict[str, RatingAnswer]:
        """A RatingAnswer per criterion key, once the form is valid."""
        cleaned = self.cleaned_data
        return {
            criterion.key: RatingAnswer(
                level=_level(cleaned[criterion.key]),
                note=cleaned[f"{criterion.key}_note"],
                causes=tuple(cleaned.get(f"{criterion.key}_causes", ())),
            )
            for criterion in self.scorecard.criteria
        }


class ReviewForm(ScorecardForm):
    """The review of one conversation: the scorecard, then the team's extras."""

    share_as_example = forms.BooleanField(required=False, label="Share as an example for the team")

    def __init__(
        self,
        data=None,
        *,
        scorecard: ScorecardSpec,
        review: Review | None = None,
        low_csat: bool = False,
        start_stop_continue: bool = False,
        examples: Iterable[LevelExample] = (),
        complaint_topics: Iterable[str] = (),
        focus: FocusItem | None = None,
        follows: FocusItem | None = None,
    ):
        initial = _initial(review) if review else {}
        initial["focus"] = focus.text if focus else ""
        if follows is not None and review is not None and follows.follow_up_id == review.pk:
            initial["focus_outcome"] = follows.outcome
        super().__init__(data, scorecard=scorecard, initial=initial, examples=examples)
        self.fields["focus"] = forms.CharField(
            label="One thing to try",
            required=False,
            max_length=FocusItem._meta.get_field("text").max_length,
            help_text="One focus for the agent, if there is one; their next review by someone else says whether it "
            "happened.",
        )
        if follows is not None:
            self.fields["focus_outcome"] = forms.ChoiceField(
                label="Did it happen in this conversation?",
                required=False,
                choices=[("", "Not said"), *FocusOutcome.choices],
                widget=forms.RadioSelect,
            )
        # A topic since taken off the team's list stays the review's until changed.
        topics = list(dict.fromkeys([*complaint_topics, *([review.complaint_topic] if review else [])]))
        if any(topics):
            self.fields["complaint_topic"] = forms.ChoiceField(
                label="Complaint topic",
                required=False,
                choices=[("", "Not a complaint"), *((topic, topic) for topic in topics if topic)],
                help_text="If the customer complained: what about. The team's leads count these over the weeks.",
            )
        if low_csat:
            self.fields["csat_cause"] = forms.ChoiceField(
                label="Was the low CSAT rating within the agent's control?",
                choices=CsatCause.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Say whether the low CSAT rating was within the agent's control."},
            )
        if start_stop_continue:
            for name, label in (("start_note", "Start"), ("stop_note", "Stop"), ("continue_note", "Continue")):
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=NOTE_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
        # Drawn after the criteria, whatever the order of the fields above.
        self.order_fields([name for name in self.fields if name != "share_as_example"] + ["share_as_example"])

    def extra_notes(self) -> list[forms.BoundField]:
        return [self[name] for name in ("start_note", "stop_note", "continue_note") if name in self.fields]

    def clean(self):
        cleaned = super().clean()
        notes = [cleaned.get(f"{criterion.key}_note", "") for criterion in self.scorecard.criteria]
        if cleaned.get("share_as_example") and not any(note.strip() for note in notes):
            first = self.scorecard.criteria[0].key
            self.add_error(f"{first}_note", "Say what makes it a good example before sharing it with the team.")
        return cleaned

    def answers(self) -> dict:
        """What `services.review_submit` takes, once the form is valid."""
        cleaned = self.cleaned_data
        return {
            "ratings": self.ratings(),
            "share_as_example": cleaned["share_as_example"],
            "start_note": cleaned.get("start_note", ""),
            "stop_note": cleaned.get("stop_note", ""),
            "continue_note": cleaned.get("continue_note", ""),
            "csat_cause": cleaned.get("csat_cause", ""),
            "complaint_topic": cleaned.get("complaint_topic", ""),
        }

    def focus_answers(self) -> tuple[str, str]:
        """(the thing to try this review sets, whether the earlier focus happened), once valid."""
        return self.cleaned_data["focus"], self.cleaned_data.get("focus_outcome", "")


def _level(value: str | None) -> int | None:
    return None if value in (None, "", NOT_APPLICABLE) else int(value)


def _initial(review: Review) -> dict:
    """A saved review as the form's starting values; its ratings prefetched (with_ratings)."""
    initial: dict = {field: getattr(review, field) for field in Review.ANSWER_FIELDS}
    for rating in review.ratings.all():
        key = rating.criterion.key
        initial[key] = NOT_APPLICABLE if rating.level is None else str(rating.level)
        initial[f"{key}_note"] = rating.note
        initial[f"{key}_causes"] = [cause.position for cause in rating.root_causes.all()]
    return initial


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=NOTE_MAX_LENGTH,
        help_text=NOTE_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write something before sending a reply."},
    )


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


class StartDateForm(forms.Form):
    """A lead sets when a teammate started, for the onboarding ramp. Prefixed, beside the
    absence form on the same page."""

    prefix = "start"
    agent = forms.TypedChoiceField(coerce=int, label="Teammate", widget=LongSelect)
    started_on = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        _agents_offer(self, agents, empty="Choose a teammate")


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


MAX_ROOT_CAUSES = 20


class CriterionForm(forms.Form):
    """A lead's criterion: its question, scale with a name and definition per level, and rules."""

    name = forms.CharField(max_length=80, error_messages={"required": "Give the criterion a name."})
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What reviewers look at; for a process, its checklist.",
    )
    scale = forms.ChoiceField(choices=Scale.choices)
    weight = forms.IntegerField(
        min_value=1, max_value=10, initial=1, help_text="How much it counts in the quality score, 1 to 10."
    )
    allow_na = forms.BooleanField(required=False, label="N/A allowed", help_text="Reviewers may say it does not apply.")
    critical = forms.BooleanField(required=False, help_text="Rated at its lowest level, the whole review scores 0%.")
    low_levels = forms.IntegerField(
        min_value=1,
        max_value=4,
        initial=1,
        label="Low levels",
        help_text="How many of the lowest levels count as low: they show the root causes, and ask for a note if "
        "required.",
    )
    note_required_when_low = forms.BooleanField(required=False, label="Note required when rated low")
    root_causes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One per line, up to {MAX_ROOT_CAUSES}: the tick-list a reviewer sees when rating low (for a "
        "process, its steps).",
    )

    def __init__(self, *args, criterion: CriterionSpec | None = None, **kwargs):
        if criterion is not None:
            kwargs.setdefault("initial", _criterion_initial(criterion))
        super().__init__(*args, **kwargs)
        for value in range(1, 6):
            self.fields[f"level_{value}_label"] = forms.CharField(
                required=False, max_length=60, label=f"Level {value} name"
            )
            self.fields[f"level_{value}_definition"] = forms.CharField(
                required=False, label=f"Level {value} definition", widget=forms.Textarea(attrs={"rows": 2})
            )

    def level_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(value, self[f"level_{value}_label"], self[f"level_{value}_definition"]) for value in range(1, 6)]

    def clean(self):
        cleaned = super().clean()
        scale = cleaned.get("scale")
        if scale:
            size = SCALE_SIZES[Scale(scale)]
            low = cleaned.get("low_levels")
            if low is not None and low >= size:
                self.add_error(
                    "low_levels",
                    f"A {Scale(scale).label.lower()} scale has {size} levels: at most {size - 1} can be low.",
                )
            labels = [level.label for level in self._levels()]
            if len(set(labels)) < len(labels):
                self.add_error("level_1_label", "Give each level its own name: two of them are the same.")
        causes = [line.strip() for line in cleaned.get("root_causes", "").splitlines() if line.strip()]
        if len(causes) > MAX_ROOT_CAUSES:
            self.add_error("root_causes", f"Keep it to {MAX_ROOT_CAUSES} root causes; there are {len(causes)}.")
        elif any(len(cause) > 200 for cause in causes):
            self.add_error("root_causes", "Keep each root cause to 200 characters.")
        return cleaned

    def _levels(self) -> tuple[LevelSpec, ...]:
        """The chosen scale's levels; one left unnamed takes the scale's usual name. A new scale
        with the levels untouched takes the new scale's names, not the old scale's."""
        cleaned = self.cleaned_data
        defaults = default_levels(cleaned["scale"])
        if "scale" in self.changed_data and not any(name.startswith("level_") for name in self.changed_data):
            return defaults
        return tuple(
            LevelSpec(
                level.value,
                (cleaned.get(f"level_{level.value}_label") or "").strip() or level.label,
                (cleaned.get(f"level_{level.value}_definition") or "").strip(),
            )
            for level in defaults
        )

    def spec(self, key: str) -> CriterionSpec:
        """The criterion as saved; a level left unnamed takes its scale's usual name."""
        cleaned = self.cleaned_data
        return CriterionSpec(
            key=key,
            name=cleaned["name"].strip(),
            description=cleaned["description"].strip(),
            scale=cleaned["scale"],
            levels=self._levels(),
            root_causes=tuple(line.strip() for line in cleaned["root_causes"].splitlines() if line.strip()),
            allow_na=cleaned["allow_na"],
            weight=cleaned["weight"],
            critical=cleaned["critical"],
            low_levels=cleaned["low_levels"],
            note_required_when_low=cleaned["note_required_when_low"],
        )


def _criterion_initial(criterion: CriterionSpec) -> dict:
    initial = {
        "name": criterion.name,
        "description": criterion.description,
        "scale": criterion.scale,
        "weight": criterion.weight,
        "allow_na": criterion.allow_na,
        "critical": criterion.critical,
        "low_levels": criterion.low_levels,
        "note_required_when_low": criterion.note_required_when_low,
        "root_causes": "\n".join(criterion.root_causes),
    }
    for level in criterion.levels:
        initial[f"level_{level.value}_label"] = level.label
        initial[f"level_{level.value}_definition"] = level.definition
    return initial


class DisputeForm(forms.Form):
    """The reviewee disputes a review, or one criterion of it, saying why."""

    criterion = forms.ChoiceField(label="What you dispute", required=False)
    reason = forms.CharField(
        label="Why",
        max_length=NOTE_MAX_LENGTH,
        help_text="What the reviewer missed or misread; the person resolving it reads this first.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say in a few words why: it is what the person resolving it reads first."},
    )

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["criterion"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "The whole review"), *((r.criterion.key, r.criterion.name) for r in review.ratings.all())]


class DisputeResolveForm(forms.Form):
    """Upheld, or changed to new levels, with the reason both sides will read."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("upheld", "Uphold the review as it is"), ("changed", "Change its ratings to those below")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        max_length=NOTE_MAX_LENGTH,
        help_text="Both the reviewer and the person reviewed read it.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for the outcome: both sides read it."},
    )

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        for rating in review.ratings.all():
            spec = criterion_spec(rating.criterion)
            choices = [(str(level.value), level.label) for level in spec.shown_levels]
            if spec.allow_na:
                choices.append(("na", "N/A"))
            # Not required: an outcome that upholds sends none; a missing one keeps the level.
            self.fields[f"level_{spec.key}"] = forms.ChoiceField(
                label=spec.name,
                choices=choices,
                initial="na" if rating.level is None else str(rating.level),
                required=False,
                widget=LongSelect,
            )

    def level_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("level_")]

    def answers(self) -> dict[str, RatingAnswer] | None:
        """None to uphold; else each criterion's answer, its note and root causes kept."""
        if self.cleaned_data["outcome"] == "upheld":
            return None
        answers = {}
        for rating in self.review.ratings.all():
            value = self.cleaned_data[f"level_{rating.criterion.key}"]
            level = rating.level if value == "" else None if value == "na" else int(value)
            causes = tuple(sorted(cause.position for cause in rating.root_causes.all()))
            answers[rating.criterion.key] = RatingAnswer(level, rating.note, causes)
        return answers


class DisputeAssignForm(forms.Form):
    """A lead names who resolves a dispute: a teammate, or the leads themselves."""

    agent = forms.TypedChoiceField(coerce=int, label="Who resolves it", required=False, empty_value=None)

    def __init__(self, *args, agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        _agents_offer(self, agents, empty="The team's leads")


class CalibrationStartForm(forms.Form):
    """A lead's new calibration session: a title, the conversations and the people."""

    title = forms.CharField(
        max_length=120,
        error_messages={"required": "Give the session a title, such as the week or the topic."},
        help_text="Participants see it, for example “Refund tone, week 49”.",
    )
    conversations = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one conversation to calibrate on."},
    )
    participants = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the teammates who score: two or more."},
    )

    def __init__(self, *args, candidates: Iterable[Candidate], agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        conversations = self.fields["conversations"]
        participants = self.fields["participants"]
        assert isinstance(conversations, forms.TypedMultipleChoiceField)
        assert isinstance(participants, forms.TypedMultipleChoiceField)
        conversations.choices = [
            (
                candidate.conversation.pk,
                f"{candidate.conversation}"
                + (" · its reviewers disagreed" if candidate.disagreed else "")
                + (f" · handled by {candidate.conversation.assignee.name}" if candidate.conversation.assignee else ""),
            )
            for candidate in candidates
        ]
        participants.choices = [(agent.pk, agent.name) for agent in agents]


class AgreedAnswerForm(forms.Form):
    """The agreed level of each criterion for one conversation, why, and whether it is the
    scorecard's example of that level (`examples`: the criterion keys it is one of now). A
    criterion left without a level is not recorded."""

    def __init__(
        self,
        *args,
        scorecard: ScorecardSpec,
        recorded: dict[str, tuple[int | None, str]],
        examples: Iterable[str] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.scorecard = scorecard
        for criterion in scorecard.criteria:
            choices = [("", "Not recorded"), *((str(level.value), level.label) for level in criterion.shown_levels)]
            if criterion.allow_na:
                choices.append((NOT_APPLICABLE, "N/A"))
            level, reason = recorded.get(criterion.key, (None, ""))
            initial = "" if criterion.key not in recorded else NOT_APPLICABLE if level is None else str(level)
            self.fields[f"{criterion.key}_level"] = forms.ChoiceField(
                label=f"{criterion.name}: agreed level", choices=choices, required=False, initial=initial
            )
            self.fields[f"{criterion.key}_reason"] = forms.CharField(
                label="Why",
                required=False,
                max_length=NOTE_MAX_LENGTH,
                initial=reason,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{criterion.key}_example"] = forms.BooleanField(
                label="Add to the scorecard as an example of this level",
                required=False,
                initial=criterion.key in examples,
            )

    def rows(self) -> list[tuple[CriterionSpec, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                criterion,
                self[f"{criterion.key}_level"],
                self[f"{criterion.key}_reason"],
                self[f"{criterion.key}_example"],
            )
            for criterion in self.scorecard.criteria
        ]

    def clean(self):
        cleaned = super().clean()
        chosen = False
        for criterion in self.scorecard.criteria:
            level = cleaned.get(f"{criterion.key}_level", "")
            reason = cleaned.get(f"{criterion.key}_reason", "").strip()
            if level:
                chosen = True
                if not reason:
                    self.add_error(f"{criterion.key}_reason", f"Say why {criterion.name} is that level.")
                if level == NOT_APPLICABLE and cleaned.get(f"{criterion.key}_example"):
                    self.add_error(f"{criterion.key}_example", "N/A is not a level, so it cannot have an example.")
            elif reason:
                self.add_error(
                    f"{criterion.key}_level", f"Choose the agreed level of {criterion.name} for this reason."
                )
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose the agreed level, and say why, for at least one criterion.")
        return cleaned

    def answers(self) -> dict[str, AgreedAnswer]:
        cleaned = self.cleaned_data
        return {
            criterion.key: AgreedAnswer(
                level=_level(cleaned[f"{criterion.key}_level"]),
                reason=cleaned[f"{criterion.key}_reason"],
                as_example=cleaned[f"{criterion.key}_example"],
            )
            for criterion in self.scorecard.criteria
            if cleaned[f"{criterion.key}_level"]
        }


class SearchForm(forms.Form):
    """Conversation search, from the page's query string; every field may be left empty."""

    q = forms.CharField(label="Words", required=False, max_length=200, help_text='"a phrase", -left-out')
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    agent = forms.TypedChoiceField(coerce=int, label="Handled by", required=False, empty_value=None)
    tag = forms.CharField(required=False, max_length=100)
    csat = forms.ChoiceField(
        label="CSAT",
        required=False,
        choices=[
            ("", "Any"),
            ("low", "Low (1-2)"),
            ("high", "High (4-5)"),
            *((str(value), f"{value} of 5") for value in range(1, 6)),
            ("none", "Not rated"),
        ],
    )
    closed_from = forms.DateField(label="Closed from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_until = forms.DateField(label="Closed until", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reviewed = forms.ChoiceField(
        required=False, choices=[("", "Reviewed or not"), ("yes", "Reviewed"), ("no", "Not reviewed")]
    )
    excluded = forms.ChoiceField(
        label="Offered for review",
        required=False,
        choices=[
            ("", "Offered or not"),
            ("included", "Offered for review"),
            ("excluded", "Set aside (any reason)"),
            *((value, f"Set aside: {label.lower()}") for value, label in ExclusionReason.choices),
        ],
    )

    def __init__(self, *args, teams: Iterable[Team], agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        team_field, agent_field = self.fields["team"], self.fields["agent"]
        assert isinstance(team_field, forms.TypedChoiceField) and isinstance(agent_field, forms.TypedChoiceField)
        team_field.choices = [("", "All my teams"), *((team.pk, team.name) for team in teams)]
        agent_field.choices = [("", "Anyone"), *((agent.pk, agent.name) for agent in agents)]
        agent_field.widget = LongSelect(choices=agent_field.choices)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("closed_from"), cleaned.get("closed_until")
        for name in ("closed_from", "closed_until"):
            day = cleaned.get(name)
            if day is not None and not 2000 <= day.year <= 2100:
                self.add_error(name, "Choose a date between the years 2000 and 2100.")
        if start and end and end < start:
            self.add_error("closed_until", "The end of the range is before its start.")
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            text=data["q"],
            team_id=data["team"],
            agent_id=data["agent"],
            tag=data["tag"],
            csat=data["csat"],
            closed_from=data["closed_from"],
            closed_until=data["closed_until"],
            reviewed=data["reviewed"],
            excluded=data["excluded"],
        )


class IncludeForm(forms.Form):
    """A lead includes a conversation a rule set aside, saying why."""

    note = forms.CharField(
        label="Why it is worth reviewing",
        max_length=INCLUDE_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why it is worth reviewing: it is how the thresholds get tuned."},
    )


class ReviewRequestForm(forms.Form):
    """A lead sends a conversation to a teammate for review, with a note."""

    agent = forms.TypedChoiceField(
        coerce=int,
        label="Send it to",
        error_messages={
            "required": "Choose the teammate who reviews it.",
            "invalid_choice": "Choose a teammate of this team who did not handle the conversation.",
        },
    )
    note = forms.CharField(
        label="Note for them",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What to look at, for example “please look at this escalation”.",
    )

    def __init__(self, *args, agents: Iterable[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        _agents_offer(self, agents, empty="Choose a teammate")


ACTION_ROWS = 3  # empty rows for new action items on the 1:1 form


class OneOnOneForm(forms.Form):
    """A 1:1's date (when it is new), agenda, notes and new action items with due dates."""

    held_on = forms.DateField(
        label="Held on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Say when the 1:1 is or was held.", "invalid": "Enter a date, such as 2026-12-08."},
    )
    agenda = forms.CharField(
        label="Agenda",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Pre-filled from the agent's recent reviews, highlights, disputes and focus; the agent reads it too.",
    )
    notes = forms.CharField(label="Notes", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, new: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["held_on"]
        for row in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{row}"] = forms.CharField(label=f"Action item {row}", required=False, max_length=300)
            self.fields[f"due_{row}"] = forms.DateField(
                label=f"Due {row}",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                error_messages={"invalid": "Enter a date, such as 2026-12-15."},
            )

    def action_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"action_{row}"], self[f"due_{row}"]) for row in range(1, ACTION_ROWS + 1)]

    def clean(self):
        cleaned = super().clean()
        for row in range(1, ACTION_ROWS + 1):
            if cleaned.get(f"due_{row}") and not cleaned.get(f"action_{row}", "").strip():
                self.add_error(f"action_{row}", "Say what is to be done by that date.")
        return cleaned

    def actions(self) -> list[ActionAnswer]:
        return [
            ActionAnswer(self.cleaned_data[f"action_{row}"], self.cleaned_data[f"due_{row}"])
            for row in range(1, ACTION_ROWS + 1)
        ]


class HighlightFilterForm(forms.Form):
    """The highlights library's filters (GET): team, a criterion (at a level) and a tag."""

    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Team")
    rated = forms.ChoiceField(required=False, label="Criterion and level")
    tag = forms.CharField(required=False, max_length=100, label="Conversation tag")

    def __init__(self, *args, teams: Iterable[Team], criteria: Iterable[CriterionSpec], **kwargs):
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        rated = self.fields["rated"]
        assert isinstance(team, forms.TypedChoiceField) and isinstance(rated, forms.ChoiceField)
        team.choices = [("", "Every team"), *((each.pk, each.name) for each in teams)]
        rated.choices = [("", "Any")] + [
            (value, label)
            for criterion in criteria
            for value, label in [
                (criterion.key, f"{criterion.name}: any level"),
                *((f"{criterion.key}:{level.value}", f"{criterion.name}: {level.label}") for level in criterion.levels),
            ]
        ]

    def filters(self) -> HighlightFilters:
        """What was chosen, once valid."""
        key, _, level = self.cleaned_data["rated"].partition(":")
        return HighlightFilters(
            team_id=self.cleaned_data["team"],
            criterion=key,
            level=int(level) if level else None,
            tag=self.cleaned_data["tag"].strip(),
        )

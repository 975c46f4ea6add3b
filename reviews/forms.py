from django import forms

from .models import SkipReason, TeamSettings


class PullForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=20, initial=3, label="How many more")


class SkipForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *SkipReason.choices])
    note = forms.CharField(required=False, max_length=500, widget=forms.TextInput, label="Note")

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
        widgets = {"week_starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

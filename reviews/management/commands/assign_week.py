from django.core.management.base import BaseCommand, CommandError

from conversations.models import Team
from reviews import services
from reviews.selectors import week_completion


class Command(BaseCommand):
    help = "Make the weekly review batches (the same code as the beat task); running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="Team name or id (default: every team).")
        parser.add_argument("--week", help="Week like 2026-W48 (default: each team's current week).")
        parser.add_argument("--seed", type=int, help="Seed for reproducible batches.")

    def handle(self, *args, team=None, week=None, seed=None, **options):
        teams = Team.objects.all()
        if team:
            teams = teams.filter(pk=int(team)) if team.isdigit() else teams.filter(name=team)
            if not teams.exists():
                raise CommandError(f"No team called {team!r}.")
        for each in teams:
            settings = services.team_settings_get(team=each)
            try:
                # Without --week, week_assign finds the week under way (or the one about to start).
                starts_at = settings.week_start_for_label(week) if week else None
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            review_week = services.week_assign(team=each, starts_at=starts_at, seed=seed)
            rows = week_completion(review_week)
            assigned = sum(row.assigned for row in rows)
            short = sum(row.shortfall for row in rows)
            self.stdout.write(
                f"{each} {review_week.label}: {assigned} conversations for {len(rows)} agents"
                + (f", {short} short of the quota" if short else "")
            )

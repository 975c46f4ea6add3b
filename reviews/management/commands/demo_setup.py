import random
import zlib
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from conversations.models import Team
from reviews.models import TeamSettings
from reviews.services import due_weeks_assign, review_submit, team_settings_get, week_assign

DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "conversations.json"
DEMO_PASSWORD = "carousel-demo"
DEMO_AGENTS = [
    ("maya@ledgerly.example", "Maya", "Patel"),
    ("john@ledgerly.example", "John", "Smith"),
    ("priya@ledgerly.example", "Priya", "Raman"),
    ("tom@ledgerly.example", "Tom", "Becker"),
    ("sofia@ledgerly.example", "Sofia", "Alvarez"),
    ("lena@ledgerly.example", "Lena", "Fischer"),
    ("omar@ledgerly.example", "Omar", "Haddad"),
    ("kenji@ledgerly.example", "Kenji", "Watanabe"),
]
DEMO_LEAD = ("lead@ledgerly.example", "Alex", "Rivera")
DEMO_ADMIN = ("admin@ledgerly.example", "Sam", "Admin")


class Command(BaseCommand):
    help = "Create the demo team's logins and import its conversations (safe to run again)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stderr.write("demo_setup creates accounts with a published password; it runs only with DEBUG=true.")
            return
        users = get_user_model().objects
        for email, first, last in [*DEMO_AGENTS, DEMO_LEAD, DEMO_ADMIN]:
            user, created = users.get_or_create(
                username=email, defaults={"email": email, "first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = email == DEMO_ADMIN[0]
                user.save()
        # Users first, so the import links each teammate to the login with their email.
        # The newest conversation ends just before this week began, so last week and this
        # week both have a full pool of conversations.
        newest = TeamSettings().week_start_at(timezone.now()) - timedelta(hours=2)
        call_command("import_conversations", str(DEMO_FILE), "--rebase-to", newest.isoformat(), stdout=self.stdout)
        lead = users.get(username=DEMO_LEAD[0])
        for team in Team.objects.filter(source="file"):
            team.leads.add(lead)
        for team in Team.objects.filter(source="file"):
            self._last_week_reviewed(team)
        # This week's batches now, rather than at beat's next hourly look.
        for week in due_weeks_assign():
            self.stdout.write(f"{week.team} {week.label}: {week.assignments.count()} conversations to review")
        self.stdout.write(
            f"Demo ready. Sign in with password {DEMO_PASSWORD!r} as an agent (e.g. maya@ledgerly.example), "
            f"as the lead ({DEMO_LEAD[0]}) or as the admin ({DEMO_ADMIN[0]})."
        )

    def _last_week_reviewed(self, team: Team) -> None:
        """Last week's batch, mostly reviewed, so feedback, highlights and trends have something to show."""
        this_week = team_settings_get(team=team).week_start_at(timezone.now())
        # Seeded by the team's name, not its pk: the same demo on every database, whatever
        # ids its sequences hand out.
        seed = zlib.crc32(team.name.encode())
        week = week_assign(team=team, starts_at=this_week - timedelta(days=7), seed=seed)
        rng = random.Random(seed)
        for assignment in week.assignments.order_by("pk"):
            if rng.random() > 0.8:
                continue  # not everyone finishes
            quality, tone = rng.choice(DEMO_VERDICTS)
            review_submit(
                assignment=assignment,
                answers={
                    "quality": quality,
                    "quality_note": DEMO_NOTES[quality][0],
                    "tone": tone,
                    "tone_note": DEMO_NOTES[tone][1],
                    "followed_process": rng.random() > 0.2,
                    "process_note": "",
                    "share_as_example": quality == tone == 3,
                },
                now=week.starts_at + timedelta(days=rng.randint(0, 4), hours=rng.randint(9, 16)),
            )
        self.stdout.write(f"{team} {week.label}: {week.assignments.count()} conversations, most reviewed")


# (quality, tone) pairs, weighted towards "good" as real reviews are.
DEMO_VERDICTS = [(2, 2)] * 5 + [(3, 2), (2, 3), (3, 3), (1, 2), (2, 1)]
DEMO_NOTES = {
    1: (
        "The answer fixed the symptom but not the cause: the bank feed broke because the login changed.",
        "Felt a bit curt; acknowledging the customer's frustration first would have helped.",
    ),
    2: (
        "Correct and complete; the steps were clear and easy to follow.",
        "Friendly and professional throughout.",
    ),
    3: (
        "Found the root cause and offered a workaround until the fix ships. Great answer.",
        "Lovely de-escalation: calm, warm, and the customer ended up thanking us.",
    ),
}

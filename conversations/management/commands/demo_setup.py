from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from conversations.models import Team
from reviews.services import due_weeks_assign

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
        call_command("import_conversations", str(DEMO_FILE), "--rebase-dates", stdout=self.stdout)
        lead = users.get(username=DEMO_LEAD[0])
        for team in Team.objects.filter(source="file"):
            team.leads.add(lead)
        # This week's batches now, rather than at beat's next hourly look.
        for week in due_weeks_assign():
            self.stdout.write(f"{week.team} {week.label}: {week.assignments.count()} conversations to review")
        self.stdout.write(
            f"Demo ready. Sign in with password {DEMO_PASSWORD!r} as an agent (e.g. maya@ledgerly.example), "
            f"as the lead ({DEMO_LEAD[0]}) or as the admin ({DEMO_ADMIN[0]})."
        )

from celery import shared_task

from . import services


# Hourly: each team's week starts at its own local time, so the task looks every hour and
# week_assign does nothing for weeks that already have their batches.
@shared_task(acks_late=True, soft_time_limit=10 * 60, time_limit=12 * 60, ignore_result=True)
def assign_due_weeks() -> list[int]:
    return [week.pk for week in services.due_weeks_assign()]


# Hourly as well: sending is idempotent per person, week and kind, so a late or repeated
# run never sends twice.
@shared_task(acks_late=True, soft_time_limit=10 * 60, time_limit=12 * 60, ignore_result=True)
def send_digests_and_nudges() -> int:
    return services.weekly_emails_send() + services.nudges_send()

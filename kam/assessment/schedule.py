"""Changing how often re-evaluation cycles are due (the schedule itself: services.schedule)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.assessment.models import AssessmentSchedule
from kam.assessment.services import schedule
from kam.audit.services import audit_record
from kam.web import access

AnyUser = AbstractBaseUser | AnonymousUser | None

EVERY_MONTHS_MIN, EVERY_MONTHS_MAX = 1, 12


def can_change_schedule(user: AnyUser) -> bool:
    """The director and the analyst (those who own the scoring models) set the schedule."""
    return user is not None and bool(access.user_roles(user) & access.MODELLERS)


@transaction.atomic
def schedule_update(*, every_months: int, user: AnyUser) -> AssessmentSchedule:
    """Re-evaluate every ``every_months`` months (1–12); one audit row when it changes."""
    if not can_change_schedule(user):
        raise PermissionDenied(_("The schedule is set by the director or the analyst."))
    if not EVERY_MONTHS_MIN <= every_months <= EVERY_MONTHS_MAX:
        raise ValidationError(
            _("Re-evaluate every %(low)s to %(high)s months.")
            % {"low": EVERY_MONTHS_MIN, "high": EVERY_MONTHS_MAX}
        )
    current = AssessmentSchedule.objects.select_for_update().get(pk=schedule().pk)
    before = current.every_months
    if before != every_months:
        current.every_months = every_months
        current.save(update_fields=["every_months", "updated_at"])
        audit_record(
            actor=user,
            action="assessment.schedule_changed",
            obj=current,
            summary=f"every {before} → {every_months} months",
            data={"before": before, "after": every_months},
        )
    return current

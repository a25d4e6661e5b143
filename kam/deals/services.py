"""Prospects and deals: writes with their history, the separation of functions (the
key-account department does not prospect) and the rulebook's guards on a deal's stage.

A deal moves into the contract or shipped stage only after the rules of its subject are
checked with the move applied (kam.rules.guards): on deferred terms that means a valid
credit-committee decision allowing the terms, the exposure within the limit and no debt
overdue beyond the rule's days; an authorised override opens an incident. Every write leaves
an audit row.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.models import Client
from kam.clients.search import contains_folded
from kam.deals.choices import (
    COMMITTED_STAGES,
    FINAL_STAGES,
    PROSPECT_NEXT,
    DealStage,
    ProspectSource,
    ProspectStatus,
)
from kam.deals.models import Deal, DealStageChange, Prospect, ProspectEvent
from kam.keyaccounts.rules import prospecting_problem
from kam.numbers import decimal_from_text, next_number
from kam.organization.models import Employee
from kam.web import access

AnyUser = access.AnyUser
MAX_TERMS_DAYS = 365

# --- Prospects -------------------------------------------------------------------------------


def _require_owner(owner: Employee | None) -> Employee:
    if owner is None:
        raise ValidationError({"owner": _("Name who works the prospect.")})
    if not owner.is_active:
        raise ValidationError({"owner": _("%(name)s is no longer active.") % {"name": owner.name}})
    problem = prospecting_problem(owner)
    if problem:
        raise ValidationError({"owner": problem})
    return owner


def _clean_text(values: dict[str, Any], name: str, limit: int = 255) -> str:
    return str(values.get(name) or "").strip()[:limit]


@transaction.atomic
def prospect_create(
    *, user: AnyUser | None, name: str, source: str, owner: Employee | None = None, **details: Any
) -> Prospect:
    """A new prospect, owned by ``owner`` (the user's employee by default): acquisition or
    sales staff, never the key-account department."""
    if user is not None and not access.can_work_deals(user):
        raise PermissionDenied(_("Prospects are worked by the sales staff."))
    owner = owner or (access.user_employee(user) if user is not None else None)
    errors: dict[str, Any] = {}
    if not (name or "").strip():
        errors["name"] = _("Name the company.")
    if source not in ProspectSource.values:
        errors["source"] = _("Say where the prospect came from.")
    try:
        owner = _require_owner(owner)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    assert owner is not None
    prospect = Prospect.objects.create(
        name=name.strip()[:255],
        source=source,
        owner=owner,
        tax_id=_clean_text(details, "tax_id", 20),
        industry=_clean_text(details, "industry"),
        region=_clean_text(details, "region"),
        contact_name=_clean_text(details, "contact_name"),
        phone=_clean_text(details, "phone", 64),
        email=_clean_text(details, "email", 254),
        notes=str(details.get("notes") or "").strip(),
        created_by=access.acting_user(user),
    )
    ProspectEvent.objects.create(
        prospect=prospect, status=prospect.status, actor=access.acting_user(user)
    )
    audit_record(actor=user, action="deals.prospect_created", obj=prospect, summary=prospect.name)
    return prospect


def _require_prospect_editor(prospect: Prospect, user: AnyUser | None) -> None:
    if user is not None and not access.can_edit_prospect(user, prospect):
        raise PermissionDenied(_("A prospect is worked by its owner (or the director)."))


@transaction.atomic
def prospect_update(*, prospect: Prospect, user: AnyUser | None, **fields: Any) -> Prospect:
    """Change a prospect's details or owner (not its status: prospect_status_set)."""
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    _require_prospect_editor(prospect, user)
    if prospect.status == ProspectStatus.CONVERTED:
        raise ValidationError(_("A converted prospect is a client now: change the client."))
    changed: dict[str, tuple[Any, Any]] = {}
    for name in (
        "name",
        "tax_id",
        "industry",
        "region",
        "contact_name",
        "phone",
        "email",
        "notes",
        "source",
    ):
        if name in fields and fields[name] is not None:
            value = str(fields[name]).strip()
            if name == "name" and not value:
                raise ValidationError({"name": _("Name the company.")})
            if name == "source" and value not in ProspectSource.values:
                raise ValidationError({"source": _("Say where the prospect came from.")})
            if getattr(prospect, name) != value:
                changed[name] = (getattr(prospect, name), value)
                setattr(prospect, name, value)
    if fields.get("owner") is not None and fields["owner"].pk != prospect.owner_id:
        owner = _require_owner(fields["owner"])
        changed["owner"] = (prospect.owner.code, owner.code)
        prospect.owner = owner
    if changed:
        prospect.save()
        audit_record(
            actor=user,
            action="deals.prospect_changed",
            obj=prospect,
            summary=", ".join(changed),
            data={k: [str(a), str(b)] for k, (a, b) in changed.items()},
        )
    return prospect


@transaction.atomic
def prospect_status_set(
    *, prospect: Prospect, user: AnyUser | None, status: str, comment: str = ""
) -> Prospect:
    """Move a prospect along new → contacted → qualified, or lose it (a reason is required);
    a lost one may start again. Converting is prospect_convert."""
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    _require_prospect_editor(prospect, user)
    allowed = PROSPECT_NEXT.get(ProspectStatus(prospect.status), ())
    if status not in allowed:
        raise ValidationError(
            {
                "status": _("From %(now)s a prospect goes to: %(next)s.")
                % {
                    "now": prospect.get_status_display().lower(),
                    "next": ", ".join(str(ProspectStatus(s).label).lower() for s in allowed) or "—",
                }
            }
        )
    comment = (comment or "").strip()
    if status == ProspectStatus.LOST and not comment:
        raise ValidationError({"comment": _("Say why the prospect is lost.")})
    before = prospect.status
    prospect.status = status
    prospect.status_since = timezone.now()
    prospect.lost_reason = comment if status == ProspectStatus.LOST else ""
    prospect.save(update_fields=["status", "status_since", "lost_reason", "updated_at"])
    ProspectEvent.objects.create(
        prospect=prospect,
        status_before=before,
        status=status,
        comment=comment,
        actor=access.acting_user(user),
    )
    audit_record(
        actor=user,
        action="deals.prospect_status",
        obj=prospect,
        summary=f"{before} → {status}",
        data={"comment": comment},
    )
    return prospect


_LEGAL_FORMS = re.compile(
    r"\b(ооо|оао|зао|пао|ао|ип|нко|гк|ltd|llc|inc|gmbh|ооо\.)\b|[«»\"'.,()]", re.IGNORECASE
)


def normalised_name(name: str) -> str:
    """A company name without its legal form, quotes and case: «ООО "Ромашка"» → ромашка."""
    return " ".join(_LEGAL_FORMS.sub(" ", name.casefold().replace("ё", "е")).split())


def prospect_duplicates(prospect: Prospect) -> list[Client]:
    """Clients that may be the same company: the same tax id, or the same name once the legal
    form and quotes are left out."""
    found: dict[int, Client] = {}
    if prospect.tax_id:
        for client in Client.objects.filter(tax_id=prospect.tax_id):
            found[client.pk] = client
    key = normalised_name(prospect.name)
    if key:
        # The longest word narrows the search; the whole normalised name decides.
        word = max(key.split(), key=len)
        annotation, condition = contains_folded("name", word)
        for client in Client.objects.annotate(**annotation).filter(condition)[:500]:
            if normalised_name(client.name) == key:
                found[client.pk] = client
    return sorted(found.values(), key=lambda c: c.name)


def next_client_code() -> str:
    taken = Client.objects.filter(code__startswith="N-").values_list("code", flat=True)
    return next_number(taken, "N-", 6)


@transaction.atomic
def prospect_convert(
    *,
    prospect: Prospect,
    user: AnyUser | None,
    code: str = "",
    existing: Client | None = None,
    confirm_new: bool = False,
) -> Client:
    """The prospect becomes a client: a new one (its owner responsible for it) unless it is
    one already (``existing``). A possible duplicate (same tax id or name) is refused until
    the user links it or confirms a new client. The prospect's deals move to the client."""
    from kam.keyaccounts.choices import Cause
    from kam.keyaccounts.services import handover_record

    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    _require_prospect_editor(prospect, user)
    if prospect.status in (ProspectStatus.CONVERTED, ProspectStatus.LOST):
        raise ValidationError(
            _("The prospect is %(status)s.") % {"status": prospect.get_status_display().lower()}
        )
    if existing is None:
        duplicates = prospect_duplicates(prospect)
        if duplicates and not confirm_new:
            raise ValidationError(
                {
                    "existing": _(
                        "It may be a client already: %(names)s. Link the prospect to the client, "
                        "or confirm that it is a new one."
                    )
                    % {"names": ", ".join(f"{c.name} ({c.code})" for c in duplicates[:5])}
                },
                code="duplicate",
            )
        code = (code or "").strip() or next_client_code()
        if Client.objects.filter(code=code).exists():
            raise ValidationError({"code": _("A client with this code exists.")})
        client = Client.objects.create(
            code=code[:64],
            name=prospect.name,
            tax_id=prospect.tax_id,
            industry=prospect.industry,
            region=prospect.region,
        )
        handover_record(
            client=client,
            to_manager=prospect.owner,
            user=user,
            cause=Cause.ASSIGNMENT,
            reason=_("Converted from a prospect."),
            check_permission=False,
        )
    else:
        client = existing
    before = prospect.status
    prospect.status = ProspectStatus.CONVERTED
    prospect.client = client
    prospect.status_since = timezone.now()
    prospect.save(update_fields=["status", "client", "status_since", "updated_at"])
    Deal.objects.filter(prospect=prospect, client__isnull=True).update(client=client)
    ProspectEvent.objects.create(
        prospect=prospect,
        status_before=before,
        status=ProspectStatus.CONVERTED,
        comment=client.code,
        actor=access.acting_user(user),
    )
    audit_record(
        actor=user,
        action="deals.prospect_converted",
        obj=prospect,
        summary=f"{prospect.name} → {client.code}",
        data={"client": client.code, "existing": existing is not None},
    )
    return client


# --- Deals ---------------------------------------------------------------------------------


def _clean_deal(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    if "title" in values or not partial:
        title = str(values.get("title") or "").strip()
        if not title:
            errors["title"] = _("Name the deal.")
        clean["title"] = title[:255]
    if "amount" in values or not partial:
        try:
            amount = decimal_from_text(values.get("amount"))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
            clean["amount"] = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["amount"] = _("Enter the deal's amount, 0 or more.")
    if "payment_terms_days" in values or not partial:
        try:
            terms = int(values.get("payment_terms_days") or 0)
            if not 0 <= terms <= MAX_TERMS_DAYS:
                raise ValueError
            clean["payment_terms_days"] = terms
        except (TypeError, ValueError):
            errors["payment_terms_days"] = _("Payment terms are 0 to %(n)s days.") % {
                "n": MAX_TERMS_DAYS
            }
    if "expected_close" in values or not partial:
        expected = values.get("expected_close")
        if not isinstance(expected, dt.date):
            errors["expected_close"] = _("Say when the deal is expected to close.")
        clean["expected_close"] = expected
    if "product_groups" in values:
        groups = values.get("product_groups") or []
        if isinstance(groups, str):
            groups = [g for g in (x.strip() for x in groups.split(",")) if g]
        clean["product_groups"] = [str(g).strip()[:255] for g in groups if str(g).strip()][:30]
    if "notes" in values:
        clean["notes"] = str(values.get("notes") or "").strip()
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def deal_create(
    *,
    user: AnyUser | None,
    client: Client | None = None,
    prospect: Prospect | None = None,
    owner: Employee | None = None,
    **values: Any,
) -> Deal:
    """A new deal at the qualification stage, for a client or a prospect, owned by ``owner``
    (the user's employee by default). A deal for a prospect is acquisition work: never the
    key-account department's."""
    if user is not None and not access.can_work_deals(user):
        raise PermissionDenied(_("Deals are worked by the sales staff."))
    errors: dict[str, Any] = {}
    owner = owner or (access.user_employee(user) if user is not None else None)
    if (client is None) == (prospect is None):
        errors["client"] = _("A deal is for a client or for a prospect.")
    if prospect is not None and prospect.status in (ProspectStatus.LOST,):
        errors["prospect"] = _("The prospect is lost.")
    if prospect is not None and prospect.client_id is not None:
        client, prospect = prospect.client, None
    if owner is None:
        errors["owner"] = _("Name who owns the deal.")
    elif not owner.is_active:
        errors["owner"] = _("%(name)s is no longer active.") % {"name": owner.name}
    elif prospect is not None and prospecting_problem(owner):
        errors["owner"] = prospecting_problem(owner)
    if (
        client is not None
        and user is not None
        and not access.client_scope(user, Client.objects.filter(pk=client.pk)).exists()
    ):
        errors["client"] = _("You do not work with this client.")
    try:
        clean = _clean_deal(values)
    except ValidationError as error:
        errors.update(error.message_dict)
        clean = {}
    if errors:
        raise ValidationError(errors)
    assert owner is not None
    deal = Deal.objects.create(
        client=client,
        prospect=prospect,
        owner=owner,
        created_by=access.acting_user(user),
        **clean,
    )
    DealStageChange.objects.create(deal=deal, stage=deal.stage, actor=access.acting_user(user))
    audit_record(
        actor=user,
        action="deals.deal_created",
        obj=deal,
        summary=f"{deal.number} {deal.title}: {deal.amount}, {deal.payment_terms_days} days",
    )
    return deal


def _require_deal_editor(deal: Deal, user: AnyUser | None) -> None:
    if user is not None and not access.can_edit_deal(user, deal):
        raise PermissionDenied(_("A deal is changed by its owner (or the director)."))


@transaction.atomic
def deal_update(*, deal: Deal, user: AnyUser | None, **values: Any) -> Deal:
    """Change a deal's terms while it is before the contract: after that the amount and the
    payment terms are what the credit rules were checked against, so they stay."""
    deal = Deal.objects.select_for_update().select_related("owner__department").get(pk=deal.pk)
    _require_deal_editor(deal, user)
    if deal.stage in FINAL_STAGES:
        raise ValidationError(_("The deal is closed."))
    clean = _clean_deal(values, partial=True)
    locked = {"amount", "payment_terms_days"} & set(clean)
    if deal.stage in COMMITTED_STAGES and any(
        clean[name] != getattr(deal, name) for name in locked
    ):
        raise ValidationError(
            _(
                "The amount and the payment terms are fixed from the contract on: move the deal "
                "back to negotiation to change them."
            )
        )
    changed = {
        k: [str(getattr(deal, k)), str(v)] for k, v in clean.items() if getattr(deal, k) != v
    }
    for name, value in clean.items():
        setattr(deal, name, value)
    if changed:
        deal.save()
        audit_record(
            actor=user,
            action="deals.deal_changed",
            obj=deal,
            summary=", ".join(changed),
            data=changed,
        )
    return deal


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    user: AnyUser | None,
    stage: str,
    comment: str = "",
    override_reason: str = "",
) -> Deal:
    """Move a deal to another stage of the pipeline, or lose it (a reason is required). A move
    into the contract or shipped stage is guarded by the rulebook (see the module's docstring)."""
    from kam.rules.guards import guard

    deal = Deal.objects.select_for_update().select_related("owner__department").get(pk=deal.pk)
    _require_deal_editor(deal, user)
    if stage not in DealStage.values:
        raise ValidationError({"stage": _("Unknown stage %(stage)r.") % {"stage": stage}})
    if deal.stage in FINAL_STAGES:
        raise ValidationError(
            _("The deal is %(stage)s: it moves no more.")
            % {"stage": deal.get_stage_display().lower()}
        )
    if stage == deal.stage:
        raise ValidationError({"stage": _("The deal is at this stage already.")})
    comment = (comment or "").strip()
    if stage == DealStage.LOST and not comment:
        raise ValidationError({"comment": _("Say why the deal is lost.")})
    if stage in (*COMMITTED_STAGES, DealStage.PAID) and deal.client_id is None:
        raise ValidationError(
            {"stage": _("Convert the prospect into a client before the contract.")}
        )
    # Stages may be skipped (a repeat order goes straight to the contract): the guard runs for
    # every move into a committed stage, wherever the deal comes from.
    checked = None
    if stage in COMMITTED_STAGES:
        checked = guard(
            subject="deal",
            user=user,
            as_of=timezone.localdate(),
            ids=[deal.pk],
            changes={"deal_stage": stage},
            override_reason=override_reason,
        )
    before = deal.stage
    deal.stage = stage
    deal.stage_since = timezone.now()
    deal.lost_reason = comment if stage == DealStage.LOST else deal.lost_reason
    deal.save(update_fields=["stage", "stage_since", "lost_reason", "updated_at"])
    DealStageChange.objects.create(
        deal=deal,
        stage_before=before,
        stage=stage,
        comment=comment,
        actor=access.acting_user(user),
    )
    audit_record(
        actor=user,
        action="deals.deal_moved",
        obj=deal,
        summary=f"{deal.number}: {before} → {stage}",
        data={"comment": comment, "override_reason": override_reason.strip() or None},
    )
    if checked is not None:
        incidents = checked.record(user=user)
        deal.rule_incidents = incidents  # type: ignore[attr-defined]
        deal.rule_warnings = checked.warning_messages()  # type: ignore[attr-defined]
    return deal


def pipeline_totals(deals: Any) -> dict[str, dict[str, Any]]:
    """Per stage: how many deals and their amount (the pipeline page's column heads)."""
    from django.db.models import Count, Sum

    rows = deals.values("stage").annotate(n=Count("id"), amount=Sum("amount"))
    totals = {stage: {"n": 0, "amount": Decimal(0)} for stage in DealStage.values}
    for row in rows:
        totals[row["stage"]] = {"n": row["n"], "amount": row["amount"] or Decimal(0)}
    return totals

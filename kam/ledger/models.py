"""The sales ledger as imported, the documents and monthly roll-up derived from it.

The ledger's foreign keys have no database constraint (``db_constraint=False``): these are
bulk fact tables written only by imports, which check every reference set-wise before
writing; PostgreSQL's deferred per-row constraint triggers would otherwise cost more than the
whole import. Deletion rules (PROTECT, CASCADE) still hold through the ORM.

Sales lines and payments are written only by imports (set-based SQL in kam.imports), which
also rebuild the derived tables (documents, monthly roll-up) for what they touched, so
assessment and plans never re-scan the raw ledger.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesLine(models.Model):
    """One line of a sales document (shipment/invoice); negative amounts are returns."""

    doc_no = models.CharField(_("document number"), max_length=64)
    line_no = models.PositiveIntegerField(_("line number"), default=1)
    date = models.DateField(_("date"))
    # First day of the date's month: the roll-up's grouping key, kept with the line.
    month = models.DateField(_("month"))
    # (client, month) index below serves client look-ups; a separate FK index would only
    # slow the import down.
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product_code = models.CharField(_("product code"), max_length=64, blank=True)
    product_group = models.CharField(_("product group"), max_length=255, blank=True)
    quantity = models.DecimalField(
        _("quantity"), null=True, blank=True, max_digits=18, decimal_places=3
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    cost = models.DecimalField(_("cost"), null=True, blank=True, max_digits=18, decimal_places=2)
    payment_terms_days = models.PositiveIntegerField(_("payment terms, days"), default=0)
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        constraints = [
            models.UniqueConstraint(fields=["doc_no", "line_no"], name="sales_line_natural_key")
        ]
        indexes = [
            models.Index(fields=["client", "month"], name="sales_line_client_month"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_no}/{self.line_no}"


class SalesDocument(models.Model):
    """A sales document's totals, derived from its lines on every import."""

    doc_no = models.CharField(_("document number"), max_length=64, unique=True)
    date = models.DateField(_("date"))
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="sales_documents",
        db_constraint=False,
    )
    payment_terms_days = models.PositiveIntegerField(_("payment terms, days"), default=0)
    due_date = models.DateField(_("due date"))
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_documents",
        db_constraint=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    cost = models.DecimalField(_("cost"), null=True, blank=True, max_digits=18, decimal_places=2)
    lines = models.PositiveIntegerField(_("lines"), default=0)

    class Meta:
        verbose_name = _("sales document")
        verbose_name_plural = _("sales documents")
        ordering = ["-date", "-doc_no"]
        indexes = [models.Index(fields=["client", "date"], name="sales_doc_client_date")]

    def __str__(self) -> str:
        return self.doc_no


class Payment(models.Model):
    """Money received from a client; applied to its invoice if named, else oldest first."""

    doc_no = models.CharField(_("document number"), max_length=64, unique=True)
    date = models.DateField(_("date"))
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    invoice_doc_no = models.CharField(_("sales document"), max_length=64, blank=True)
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-doc_no"]
        indexes = [models.Index(fields=["client", "date"], name="payment_client_date")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]

    def __str__(self) -> str:
        return self.doc_no


class MonthlyRollup(models.Model):
    """Revenue, cost, margin, quantity and documents per client, month and product group."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    month = models.DateField(_("month"))
    product_group = models.CharField(_("product group"), max_length=255, blank=True)
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2)
    # Null where no line of the group has a cost: margin unknown, not zero.
    cost = models.DecimalField(_("cost"), null=True, blank=True, max_digits=18, decimal_places=2)
    margin = models.DecimalField(
        _("gross margin"), null=True, blank=True, max_digits=18, decimal_places=2
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3)
    documents = models.PositiveIntegerField(_("documents"))
    lines = models.PositiveIntegerField(_("lines"))

    class Meta:
        verbose_name = _("monthly roll-up")
        verbose_name_plural = _("monthly roll-up")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month", "product_group"], name="rollup_natural_key"
            )
        ]
        indexes = [models.Index(fields=["month"], name="rollup_month")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m} {self.product_group}"

"""Small files for import tests, written the way users' exports look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps

from kam.imports.services import ImportReport, import_file

EMPLOYEES = """code,name,email,department,role,manager_code
E1,Иванов Иван,ivanov@example.com,management,director,
E2,Петров Пётр,petrov@example.com,key_accounts,key_account_head,E1
E3,Сидорова Анна,,key_accounts,key_account_manager,E2
E4,Козлов Олег,,sales,Менеджер по продажам,E1
"""
CLIENTS = """code,name,tax_id,industry,region,group_code,employees,annual_revenue,purchase_potential,responsible_code
C1,ООО «Ромашка»,7707083893,Retail,Москва,G1,120,"1 000 000,50",5000000,E3
C2,"=HYPERLINK(""http://x"")",,,,G1,,,,E4
C3,"Acme, Inc.",,,,,,,,
"""
SALES = """doc_no,line_no,date,client_code,product_code,product_group,quantity,amount,cost,payment_terms_days,employee_code
S1,1,2024-01-15,C1,P1,Бумага,10,1000,700,30,E3
S1,2,2024-01-15,C1,P2,Картон,5,500,300,30,E3
S2,1,15.02.2024,C2,P1,Бумага,-2,-200,-140,0,E4
S3,1,2024-02-20,C1,P1,Бумага,1,"100,50",,0,
"""
PAYMENTS = """doc_no,date,client_code,amount,invoice_doc_no
P1,2024-02-10,C1,1500,S1
P2,2024-03-01,C1,50,
"""
CREDIT_DECISIONS = """decision_no,client_code,date,credit_limit,max_terms_days,valid_until
D1,C1,2024-01-01,100000,30,2024-12-31
"""
BASE = {
    "employees": EMPLOYEES,
    "clients": CLIENTS,
    "sales": SALES,
    "payments": PAYMENTS,
    "credit_decisions": CREDIT_DECISIONS,
}
DOMAIN_MODELS = [
    "organization.Department",
    "organization.Employee",
    "clients.HoldingGroup",
    "clients.Client",
    "ledger.SalesLine",
    "ledger.SalesDocument",
    "ledger.Payment",
    "ledger.MonthlyRollup",
    "credit.CreditDecision",
    "imports.ImportBatch",
    "audit.AuditEntry",
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(tmp_path: Path, kind: str, text: str, **kwargs: Any) -> ImportReport:
    suffix = kwargs.pop("suffix", ".csv")
    encoding = kwargs.pop("encoding", "utf-8")
    return import_file(kind=kind, path=write(tmp_path, f"{kind}{suffix}", text, encoding), **kwargs)


def load_base(tmp_path: Path, upto: str = "credit_decisions") -> None:
    for kind, text in BASE.items():
        report = load(tmp_path, kind, text)
        assert report.ok, report.errors
        if kind == upto:
            return


def snapshot(*, exclude: tuple[str, ...] = ("updated_at", "created_at")) -> dict[str, Any]:
    """Every row of every domain table, for 'nothing changed' assertions."""
    result: dict[str, Any] = {}
    for label in DOMAIN_MODELS:
        model = apps.get_model(label)
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in exclude]
        result[label] = sorted(model.objects.values_list(*fields), key=repr)
    return result


def reasons(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["reason"]) for e in report.errors]

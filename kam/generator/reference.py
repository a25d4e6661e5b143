"""Fixed reference data of the synthetic company: catalogue, calendar effects, segments.

Everything here is constant (no randomness), so it can be shared by every chunk and by tests.
The generated company is an industrial distributor selling to other businesses.
"""

from __future__ import annotations

from typing import Final

import numpy as np

# --- Output layout -------------------------------------------------------------------------------

#: Column order of every written file; the first five follow DESIGN.md "Data files".
HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "employees": ("code", "name", "email", "department", "role", "manager_code"),
    "clients": (
        "code",
        "name",
        "tax_id",
        "industry",
        "region",
        "group_code",
        "employees",
        "annual_revenue",
        "purchase_potential",
        "responsible_code",
    ),
    "sales": (
        "doc_no",
        "line_no",
        "date",
        "client_code",
        "product_code",
        "product_group",
        "quantity",
        "amount",
        "cost",
        "payment_terms_days",
        "employee_code",
    ),
    "payments": ("doc_no", "date", "client_code", "amount", "invoice_doc_no"),
    "credit_decisions": (
        "decision_no",
        "client_code",
        "date",
        "credit_limit",
        "max_terms_days",
        "valid_until",
    ),
    "truth": (
        "client_code",
        "segment",
        "hidden_potential",
        "payment_behaviour",
        "deferred",
        "has_credit_decision",
    ),
}

# --- Segments ------------------------------------------------------------------------------------

#: Segment names (truth.csv) in code order, and their share of clients.  Counts per chunk are
#: rounded exactly (largest remainder) so small runs still contain every segment.
SEGMENTS: Final[tuple[str, ...]] = (
    "key",
    "hidden_potential",
    "growing",
    "stable",
    "declining",
    "churned",
    "new",
    "small",
)
SEGMENT_SHARES: Final = np.array([0.03, 0.04, 0.10, 0.28, 0.10, 0.08, 0.09, 0.28])
KEY, HIDDEN, GROWING, STABLE, DECLINING, CHURNED, NEW, SMALL = range(len(SEGMENTS))

#: Payment behaviour values written to truth.csv.
BEHAVIOURS: Final[tuple[str, ...]] = ("on_time", "late", "defaulter")
ON_TIME, LATE, DEFAULTER = range(len(BEHAVIOURS))

# --- Catalogue -----------------------------------------------------------------------------------

#: Product groups with their list gross margin: a distributor earns little on metal and a lot on
#: fasteners and workwear, which is what makes the product mix matter for client margin.
PRODUCT_GROUPS: Final[tuple[str, ...]] = (
    "Металлопрокат",
    "Трубы и фитинги",
    "Электротехника",
    "Сантехника",
    "Лакокрасочные материалы",
    "Инструмент",
    "Крепёж",
    "Спецодежда и СИЗ",
)
GROUP_MARGINS: Final = np.array([0.12, 0.17, 0.24, 0.27, 0.30, 0.34, 0.40, 0.45])
#: Median list price of a unit (roubles); kept modest so a line always has quantity >= 1.
GROUP_PRICES: Final = np.array([1800.0, 950.0, 650.0, 1400.0, 520.0, 1100.0, 35.0, 780.0])
#: Products per group (codes P01-0001 ...); popularity is skewed towards low numbers.
PRODUCTS_PER_GROUP: Final = 240

# --- Calendar ------------------------------------------------------------------------------------

#: Monthly demand multipliers (January..December): New-Year and May holidays and the summer are
#: slow, the year-end budget rush is strong.  Normalised to mean 1.
_SEASON = np.array([0.60, 0.88, 1.05, 1.05, 0.90, 0.92, 0.82, 0.86, 1.08, 1.12, 1.20, 1.40])
SEASONALITY: Final = _SEASON / _SEASON.mean()

# --- Client profile ------------------------------------------------------------------------------

INDUSTRIES: Final[tuple[str, ...]] = (
    "Строительство",
    "Машиностроение",
    "Оптовая торговля",
    "Розничная торговля",
    "Металлургия",
    "Энергетика",
    "Транспорт и логистика",
    "Пищевая промышленность",
    "Нефтегазовая отрасль",
    "Сельское хозяйство",
    "ЖКХ",
)
INDUSTRY_WEIGHTS: Final = np.array([18, 12, 16, 8, 6, 7, 9, 7, 5, 6, 6], dtype=float)

#: Regions with the two-digit tax-office region code that starts a real INN there.
REGIONS: Final[tuple[tuple[str, int], ...]] = (
    ("Москва", 77),
    ("Санкт-Петербург", 78),
    ("Московская область", 50),
    ("Свердловская область", 66),
    ("Новосибирская область", 54),
    ("Республика Татарстан", 16),
    ("Краснодарский край", 23),
    ("Нижегородская область", 52),
    ("Самарская область", 63),
    ("Ростовская область", 61),
    ("Челябинская область", 74),
    ("Республика Башкортостан", 2),
    ("Пермский край", 59),
    ("Воронежская область", 36),
    ("Красноярский край", 24),
)
REGION_WEIGHTS: Final = np.array([26, 11, 12, 6, 5, 5, 6, 4, 4, 4, 4, 3, 3, 3, 4], dtype=float)

#: Deferred payment terms offered (days) and how often each is used.
DEFERRED_TERMS: Final = np.array([14, 30, 45, 60])
DEFERRED_TERMS_P: Final = np.array([0.2, 0.4, 0.2, 0.2])

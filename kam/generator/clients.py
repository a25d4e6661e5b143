"""Client profiles of one chunk: segment, size, buying pattern, terms, behaviour and master data.

A profile is drawn *before* the ledger (it drives the ledger) and completed *after* it: the
purchase potential of a hidden-potential client is set from what it actually bought in the last
twelve months, so the 8-30x gap holds for the written data and not just for the intent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kam.generator import names as nm
from kam.generator.reference import (
    CHURNED,
    DECLINING,
    DEFAULTER,
    DEFERRED_TERMS,
    DEFERRED_TERMS_P,
    GROUP_MARGINS,
    GROWING,
    HIDDEN,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    KEY,
    LATE,
    NEW,
    ON_TIME,
    REGION_WEIGHTS,
    REGIONS,
    SEGMENT_SHARES,
    SEGMENTS,
    SMALL,
)
from kam.generator.staff import Staff
from kam.generator.timeline import DAYS_PER_YEAR, Period

#: Median monthly purchases of an ordinary client (roubles) and the log-spread of client sizes;
#: a spread of 1.35 on top of the segment mix yields the classic ~80/20 revenue split.
MEDIAN_LEVEL = 60_000.0
LEVEL_SPREAD = 1.35
#: Documents per month of a median client; bigger clients order more often, not only more.
DOCS_PER_MONTH = 0.93
NEVER = -1e9  # a trend bend so far in the past that it never applies

# Per segment, rows in SEGMENTS order: size score (mean, sd), chance of each extra line on a
# document (1 + Binomial(5, p) lines), chance of paying upfront, month-to-month demand noise (sd
# of log demand), discount range and how many product groups the client buys (min, max).
_SIZE = np.array([[2.3, 0.4], [0.8, 0.5], [0.2, 0.9], [0.0, 0.9], [0.3, 0.9], [0.0, 0.9],
                  [0.0, 0.9], [-1.2, 0.7]])  # fmt: skip
_EXTRA_LINE_P = np.array([0.62, 0.5, 0.36, 0.34, 0.32, 0.32, 0.3, 0.12])
_UPFRONT_P = np.array([0.10, 0.30, 0.40, 0.45, 0.45, 0.50, 0.60, 0.70])
_NOISE = np.array([0.12, 0.12, 0.25, 0.22, 0.25, 0.25, 0.30, 0.55])
_DISCOUNT = np.array([[0.04, 0.09], [0.0, 0.01], [0.01, 0.05], [0.01, 0.05], [0.01, 0.05],
                      [0.01, 0.05], [0.01, 0.05], [0.0, 0.01]])  # fmt: skip
_GROUPS = np.array([[5, 8], [4, 5], [2, 5], [2, 5], [2, 5], [2, 4], [1, 3], [1, 2]])
#: Legal-form probabilities (ООО, АО, ПАО, ИП) for key, hidden, small and everyone else.
_FORMS = {
    KEY: [0.45, 0.4, 0.15, 0.0],
    HIDDEN: [0.65, 0.35, 0.0, 0.0],
    SMALL: [0.55, 0.0, 0.0, 0.45],
}
_FORMS_OTHER = [0.8, 0.08, 0.0, 0.12]
_GROUP_SHARE = 0.065
_GROUP_SIZES = np.arange(2, 7)
_GROUP_SIZE_P = np.array([0.35, 0.25, 0.2, 0.12, 0.08])


@dataclass
class ClientChunk:
    """Per-client arrays (length n) describing one chunk of clients; see ``draw_clients``."""

    index: np.ndarray  # global 0-based client number (code C000001 is index 0)
    segment: np.ndarray
    level: np.ndarray  # monthly purchases (roubles) at the trend's reference time
    growth: np.ndarray  # log growth per year
    bend: np.ndarray  # years before end where the trend starts (hidden potential), else NEVER
    ref: np.ndarray  # years before end where the trend multiplier is 1
    active_from: np.ndarray  # first day it may buy (day number)
    active_to: np.ndarray  # last day it may buy (churned clients stop early)
    docs_rate: np.ndarray  # expected documents per month at the reference level
    noise: np.ndarray
    extra_line_p: np.ndarray
    group_cum: np.ndarray  # (n, groups) cumulative product-group preference
    discount: np.ndarray
    terms: np.ndarray  # payment terms once deferred payment is granted
    deferred_from: np.ndarray  # day from which sales use ``terms`` (earlier sales are upfront)
    behaviour: np.ndarray
    responsible: np.ndarray  # employee position, -1 when nobody is responsible
    wallet_share: np.ndarray  # our share of the client's spend on our categories
    category_share: np.ndarray  # client's spend on our categories / its own revenue
    potential_ratio: np.ndarray  # hidden potential: potential / trailing-12-month purchases
    potential_known: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    names: list[str]
    inn: np.ndarray
    group: np.ndarray  # global holding-group number, -1 for none

    def __len__(self) -> int:
        return len(self.index)


def exact_segments(rng: np.random.Generator, n: int) -> np.ndarray:
    """Segment codes with exactly rounded shares (largest remainder), shuffled."""
    raw = SEGMENT_SHARES * n
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(SEGMENTS), dtype=np.int8), counts))


def formula_positions(total: int) -> dict[int, str]:
    """Global indices of the clients named like spreadsheet formulas (fixed per size)."""
    return {total * (2 * k + 1) // 6: name for k, name in enumerate(nm.FORMULA_NAMES)}


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    return pool[rng.integers(0, len(pool), n)]


def draw_clients(
    rng: np.random.Generator,
    index: np.ndarray,
    period: Period,
    staff: Staff,
    total: int,
    first_group: int,
) -> ClientChunk:
    """Draw the profiles of the clients with global numbers ``index``.

    ``first_group`` is the global number of the first holding group formed in this chunk (groups
    never span chunks, which keeps chunks independent).
    """
    n = len(index)
    seg = exact_segments(rng, n)
    u = rng.random((n, 8))  # one block of uniforms, consumed column by column below

    size = rng.normal(_SIZE[seg, 0], _SIZE[seg, 1])
    level = MEDIAN_LEVEL * np.exp(LEVEL_SPREAD * size)
    growth = rng.normal(0.0, 0.04, n)
    growth = np.where(seg == KEY, rng.normal(0.03, 0.03, n), growth)
    growth = np.where(seg == GROWING, 0.2 + 0.3 * u[:, 0], growth)  # +22..+65 % a year
    growth = np.where(seg == DECLINING, -0.15 - 0.2 * u[:, 0], growth)  # -14..-30 % a year
    growth = np.where(seg == CHURNED, rng.normal(-0.1, 0.1, n), growth)
    growth = np.where(seg == SMALL, rng.normal(0.0, 0.1, n), growth)
    # Hidden potential: flat, modest buying, then a rise over the last 12-18 months.
    bend = np.where(seg == HIDDEN, -(1.0 + 0.5 * u[:, 1]), NEVER)
    growth = np.where(seg == HIDDEN, 0.35 + 0.35 * u[:, 0], growth)
    ref = np.where(seg == HIDDEN, bend, period.t_years.mean())

    active_from = np.full(n, period.start, dtype=np.int64)
    active_to = np.full(n, period.end, dtype=np.int64)
    new_from = period.end - (30 + 335 * u[:, 2]).astype(np.int64)
    active_from = np.where(seg == NEW, np.maximum(new_from, period.start), active_from)
    churn_to = period.end - (90 + 360 * u[:, 2]).astype(np.int64)
    active_to = np.where(seg == CHURNED, np.maximum(churn_to, period.start + 60), active_to)
    active_to = np.minimum(active_to, period.end)

    docs_rate = np.clip(DOCS_PER_MONTH * np.sqrt(level / MEDIAN_LEVEL), 0.08, 40.0)
    docs_rate = np.where(seg == HIDDEN, np.maximum(docs_rate, 1.3), docs_rate)  # regular buyer

    # Product-group mix: how many groups, which ones (hidden potential leans to high margin).
    lo, hi = _GROUPS[seg, 0], _GROUPS[seg, 1]
    k_groups = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    keys = rng.random((n, len(GROUP_MARGINS)))
    keys += np.where(seg == HIDDEN, 6.0, 0.0)[:, None] * GROUP_MARGINS[None, :]
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    weights = rng.exponential(1.0, keys.shape) * (rank < k_groups[:, None])
    # ... and buys more of the high-margin groups it takes.
    weights *= np.where(seg == HIDDEN, 1.0, 0.0)[:, None] * GROUP_MARGINS[None, :] * 10 + 1.0
    group_cum = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)

    lo_d, hi_d = _DISCOUNT[seg, 0], _DISCOUNT[seg, 1]
    discount = lo_d + (hi_d - lo_d) * u[:, 3]

    deferred = u[:, 4] >= _UPFRONT_P[seg]
    terms = rng.choice(DEFERRED_TERMS, n, p=DEFERRED_TERMS_P)
    terms = np.where(seg == KEY, rng.choice(DEFERRED_TERMS[1:], n), terms)
    terms = np.where(deferred, terms, 0)
    # 60 % had deferred terms before the period; the rest are granted them later on.
    switch = active_from + 60 + (u[:, 5] * np.maximum(active_to - active_from - 60, 0))
    switch = np.where(u[:, 6] < 0.6, active_from, switch.astype(np.int64))
    switch = np.where(seg == NEW, active_from + 30 + (u[:, 5] * 90).astype(np.int64), switch)
    deferred_from = np.where(deferred, switch, np.iinfo(np.int64).max)

    b = rng.random(n)
    behaviour = np.where(b < 0.085, LATE, np.where(b < 0.105, DEFAULTER, ON_TIME))
    behaviour = np.where(seg == HIDDEN, ON_TIME, behaviour).astype(np.int8)

    # Responsible: KAMs own key accounts; some new clients stay with the rep who won them.
    responsible = _pick(rng, staff.sales_idx, n)
    won_by_acq = (seg == NEW) & (u[:, 7] < 0.5)
    responsible = np.where(won_by_acq, _pick(rng, staff.acquisition_idx, n), responsible)
    responsible = np.where(seg == KEY, _pick(rng, staff.key_account_idx, n), responsible)
    responsible = np.where((seg != KEY) & (rng.random(n) < 0.01), -1, responsible)

    wallet_share = np.where(seg == KEY, 0.45 + 0.35 * rng.random(n), 0.2 + 0.5 * rng.random(n))
    category_share = 0.008 + 0.032 * rng.random(n)
    potential_ratio = 8.0 + 22.0 * rng.random(n)
    known_p = np.where(seg == HIDDEN, 1.0, np.where(seg == KEY, 0.9, 0.62))
    potential_known = rng.random(n) < known_p

    industry = rng.choice(len(INDUSTRIES), n, p=INDUSTRY_WEIGHTS / INDUSTRY_WEIGHTS.sum())
    region = rng.choice(len(REGIONS), n, p=REGION_WEIGHTS / REGION_WEIGHTS.sum())
    forms = np.empty(n, dtype=np.int64)
    for s in np.unique(seg):  # one draw per segment, not per client
        mask = seg == s
        forms[mask] = rng.choice(4, int(mask.sum()), p=_FORMS.get(int(s), _FORMS_OTHER))
    names = nm.company_names(index, forms, total)
    formulas = formula_positions(total)
    for pos in np.flatnonzero(np.isin(index, list(formulas))):
        names[pos] = formulas[int(index[pos])]
        forms[pos] = nm.OOO

    group = _form_groups(rng, seg, level, index, formulas, first_group)
    _name_group_members(group, level, forms, names, region)
    codes = np.array([code for _, code in REGIONS])
    return ClientChunk(
        index=index,
        segment=seg,
        level=level,
        growth=growth,
        bend=bend,
        ref=ref,
        active_from=active_from,
        active_to=active_to,
        docs_rate=docs_rate,
        noise=_NOISE[seg],
        extra_line_p=_EXTRA_LINE_P[seg],
        group_cum=group_cum,
        discount=discount,
        terms=terms,
        deferred_from=deferred_from,
        behaviour=behaviour,
        responsible=responsible,
        wallet_share=wallet_share,
        category_share=category_share,
        potential_ratio=potential_ratio,
        potential_known=potential_known,
        industry=industry,
        region=region,
        names=names,
        inn=nm.make_inns(codes[region], index),
        group=group,
    )


def _form_groups(
    rng: np.random.Generator,
    seg: np.ndarray,
    level: np.ndarray,
    index: np.ndarray,
    formulas: dict[int, str],
    first_group: int,
) -> np.ndarray:
    """Put ~6.5 % of the chunk's clients into holding groups of 2-6 members."""
    group = np.full(len(seg), -1, dtype=np.int64)
    eligible = np.flatnonzero((seg != SMALL) & ~np.isin(index, list(formulas)))
    want = round(_GROUP_SHARE * len(seg))
    members = rng.permutation(eligible)[: min(want, len(eligible))]
    sizes = rng.choice(_GROUP_SIZES, max(1, len(members)), p=_GROUP_SIZE_P)
    bounds = np.cumsum(sizes)
    bounds = bounds[bounds <= len(members)]
    if len(members) - (bounds[-1] if len(bounds) else 0) >= 2:
        bounds = np.append(bounds, len(members))  # the remainder forms one more group
    start = 0
    for g, stop in enumerate(bounds):
        group[members[start:stop]] = first_group + g
        start = stop
    return group


def _name_group_members(
    group: np.ndarray,
    level: np.ndarray,
    forms: np.ndarray,
    names: list[str],
    region: np.ndarray,
) -> None:
    """Give holding members the leader's name root and region (the biggest member leads)."""
    in_group = np.flatnonzero(group >= 0)
    order = in_group[np.lexsort((-level[in_group], group[in_group]))]
    prev, leader, rank = -1, -1, 0
    for pos in order:  # members only: ~6.5 % of the chunk
        if group[pos] != prev:
            prev, leader, rank = group[pos], pos, 0
            if forms[pos] == nm.IP:
                forms[pos] = nm.OOO
                names[pos] = nm.group_member_name(names[pos].replace("ИП ", ""), nm.OOO, 0)
            continue
        rank += 1
        names[pos] = nm.group_member_name(names[leader], int(forms[pos]), rank)
        region[pos] = region[leader]


def trend(chunk: ClientChunk, period: Period) -> np.ndarray:
    """Demand multiplier per client (rows) and month of the period (columns)."""
    t_years = period.t_years[None, :]
    t = np.maximum(t_years, chunk.bend[:, None])
    mult = np.exp(chunk.growth[:, None] * (t - chunk.ref[:, None]))
    # New clients ramp up over their first months instead of starting at full speed.
    since = t_years - (chunk.active_from[:, None] - period.end) / DAYS_PER_YEAR
    ramp = np.clip(1.0 - np.exp(-(since + 1 / 24) / 0.15), 0.2, 1.0)
    return np.where((chunk.segment == NEW)[:, None], mult * ramp, mult)


def complete_profiles(
    chunk: ClientChunk,
    trailing_12m: np.ndarray,
    peak_level: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (purchase potential or NaN when unknown, annual revenue, employees) per client.

    Potential is what the client spends a year on our categories; its own revenue and head-count
    follow from it.  Hidden potential is set from the written ledger (``trailing_12m``), so the
    8-30x gap holds for the data a later assessment will read.
    """
    n = len(chunk)
    hidden = chunk.segment == HIDDEN
    potential = np.where(
        hidden, trailing_12m * chunk.potential_ratio, 12 * peak_level / chunk.wallet_share
    )
    potential = np.maximum(np.round(potential, -3), 10_000.0)
    revenue = np.round(potential / chunk.category_share * rng.lognormal(0.0, 0.15, n), -3)
    per_employee = rng.lognormal(np.log(4.5e6), 0.45, n)
    employees = np.maximum(1, np.round(revenue / per_employee)).astype(np.int64)
    return np.where(chunk.potential_known, potential, np.nan), revenue, employees

"""Synthetic municipalities and bookkeeping exports for benchmarks and end-to-end tests.

Three sizes (issue 8): ``small`` (a small town: 5 committees, 40 units), ``city`` (30 committees,
2 000 units) and ``large`` (a large city: 60 committees, 10 000 units), each over five years,
with ledger exports of 0.1 M / 1 M / 5 M rows by default. Everything is seeded and reproducible,
and every amount is an exact integer number of cents (öre).

The municipality is plain data (:class:`Kommun`: pandas frames for committees, units, line
budgets and investment projects, dumpable as JSON). The ledger export is a CSV in the form
controllers get from their bookkeeping system (Swedish headers, ``;``, decimal comma, debit
positive), written in chunks so that 5 M rows do not need 5 M Python strings at once; the
generator returns the export's true totals so tests can check the import to the cent.

    python -m benchmarks.generate small --rows 100000 --out /tmp/kb   # CSV + mapping + JSON
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ACCOUNTS",
    "SIZES",
    "Kommun",
    "LedgerTruth",
    "Size",
    "generate_kommun",
    "ledger_frame",
    "mappning_rows",
    "write_ledger_csv",
    "write_mappning_csv",
]


@dataclass(frozen=True, slots=True)
class Size:
    committees: int
    units: int
    rows: int
    years: int = 5


SIZES: dict[str, Size] = {
    "small": Size(committees=5, units=40, rows=100_000),
    "city": Size(committees=30, units=2_000, rows=1_000_000),
    "large": Size(committees=60, units=10_000, rows=5_000_000),
}

#: Accounts used by the synthetic ledger: (first account, last account, line code, income?).
#: Same ranges as ``engine/data/kontoplan_exempel.csv``; amounts of income lines are credits
#: (negative in the export), costs debits (positive).
ACCOUNTS: tuple[tuple[int, int, str, bool], ...] = (
    (3000, 3089, "RR.VI.FORS", True),
    (3090, 3099, "DR.INT.INK", True),
    (3100, 3199, "RR.VI.AVG", True),
    (3200, 3299, "RR.VI.UND", True),
    (3300, 3699, "RR.VI.OVR", True),
    (3700, 3799, "RR.TEB", True),
    (4000, 4099, "RR.VU.PERS.LON", False),
    (4100, 4199, "RR.VU.PERS.LBK.PENS", False),
    (4200, 4299, "RR.VU.PERS.LBK.OVR", False),
    (4300, 4389, "RR.VU.TJ", False),
    (4390, 4399, "DR.INT.UTG", False),
    (4400, 4599, "RR.VU.MAT", False),
    (4600, 4699, "RR.VU.UND", False),
    (4700, 4999, "RR.VU.OVR", False),
    (6000, 6099, "RR.AVS.PLAN", False),
)
#: Share of all cost (and income) by line in a unit's budget, roughly a Finnish municipality.
_LINE_WEIGHT = {
    "RR.VI.FORS": 0.08, "DR.INT.INK": 0.02, "RR.VI.AVG": 0.05, "RR.VI.UND": 0.04,
    "RR.VI.OVR": 0.02, "RR.TEB": 0.005, "RR.VU.PERS.LON": 0.30, "RR.VU.PERS.LBK.PENS": 0.07,
    "RR.VU.PERS.LBK.OVR": 0.02, "RR.VU.TJ": 0.30, "DR.INT.UTG": 0.02, "RR.VU.MAT": 0.07,
    "RR.VU.UND": 0.06, "RR.VU.OVR": 0.06, "RR.AVS.PLAN": 0.03,
}
#: Cost centres per unit: unit ``u`` owns ``KST_BASE + u*KST_PER_UNIT`` .. ``+KST_PER_UNIT-1``.
KST_BASE = 100_000
KST_PER_UNIT = 5
#: Accounts and cost centres the synthetic mapping does not know (they must be reported).
UNMAPPED_ACCOUNTS = ("0100", "0990")
UNMAPPED_KST = ("999990", "999991")
#: Balance-sheet accounts in the export (mapped to EXKL).
BALANCE_ACCOUNTS = ("1100", "2500")

_COMMITTEE_NAMES = (
    "Kommunstyrelsen", "Bildningsnämnden", "Social- och hälsovårdsnämnden", "Tekniska nämnden",
    "Kultur- och fritidsnämnden", "Miljönämnden", "Byggnadsnämnden", "Revisionsnämnden",
)


@dataclass(frozen=True)
class Kommun:
    """A synthetic municipality as plain data; amounts in integer öre, published sign."""

    namn: str
    storlek: str
    ar: tuple[int, ...]
    namnder: pd.DataFrame  # kod, namn
    enheter: pd.DataFrame  # kod, namn, namnd, central, kst_fran, kst_till
    budget: pd.DataFrame  # ar, enhet, radkod, belopp_ore
    investeringar: pd.DataFrame  # projekt, namnd, namn, ar, utgift_ore, finansieringsandel_ore

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict (frames as lists of records)."""
        return {
            "namn": self.namn,
            "storlek": self.storlek,
            "ar": list(self.ar),
            "namnder": self.namnder.to_dict("records"),
            "enheter": self.enheter.to_dict("records"),
            "budget": self.budget.to_dict("records"),
            "investeringar": self.investeringar.to_dict("records"),
        }

    def dump_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, default=int), encoding="utf-8")
        return path


def generate_kommun(size: str | Size = "small", *, seed: int = 0, first_year: int = 2024) -> Kommun:
    """A reproducible synthetic municipality of the given size (name in :data:`SIZES` or a Size)."""
    label = size if isinstance(size, str) else "custom"
    spec = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    years = tuple(range(first_year, first_year + spec.years))
    nc = spec.committees
    namnder = pd.DataFrame(
        {
            "kod": [f"N{i + 1:02d}" for i in range(nc)],
            "namn": [
                _COMMITTEE_NAMES[i] if i < len(_COMMITTEE_NAMES) else f"Nämnd {i + 1}"
                for i in range(nc)
            ],
        }
    )
    # units: every committee gets a central unit first, the rest spread at random
    nu = spec.units
    if nu < nc:
        raise ValueError("need at least one unit per committee")
    extra = rng.integers(0, nc, nu - nc)
    committee_of = np.concatenate([np.arange(nc), np.sort(extra)])
    central = np.zeros(nu, bool)
    central[:nc] = True
    order = np.lexsort((~central, committee_of))  # committee by committee, central unit first
    committee_of, central = committee_of[order], central[order]
    kst_from = KST_BASE + np.arange(nu) * KST_PER_UNIT
    enheter = pd.DataFrame(
        {
            "kod": [f"E{u + 1:05d}" for u in range(nu)],
            "namn": [
                f"{namnder['namn'][c]}, central förvaltning" if cen else f"Enhet {u + 1}"
                for u, (c, cen) in enumerate(zip(committee_of, central, strict=True))
            ],
            "namnd": namnder["kod"].to_numpy()[committee_of],
            "central": central,
            "kst_fran": kst_from.astype(str),
            "kst_till": (kst_from + KST_PER_UNIT - 1).astype(str),
        }
    )
    # line budgets: unit size lognormal, lines by weight, yearly growth 1-4 %, whole euros
    scale = np.exp(rng.normal(np.log(2_000_000), 1.0, nu))  # euros of cost per unit and year
    codes = list(_LINE_WEIGHT)
    weights = np.array([_LINE_WEIGHT[c] for c in codes])
    income = np.array([c.startswith(("RR.VI", "DR.INT.INK", "RR.TEB")) for c in codes])
    frames = []
    level = scale.copy()
    for year in years:
        noise = rng.uniform(0.8, 1.2, (nu, len(codes)))
        euros = np.round(level[:, None] * weights[None, :] * noise).astype(np.int64)
        signed = np.where(income[None, :], euros, -euros) * 100
        frames.append(
            pd.DataFrame(
                {
                    "ar": year,
                    "enhet": np.repeat(enheter["kod"].to_numpy(), len(codes)),
                    "radkod": np.tile(codes, nu),
                    "belopp_ore": signed.ravel(),
                }
            )
        )
        level = level * rng.uniform(1.01, 1.04, nu)
    budget = pd.concat(frames, ignore_index=True)
    # investment projects: 2-10 per committee, each spread over 1-3 consecutive years
    proj_rows = []
    p = 0
    for c in range(nc):
        for _ in range(int(rng.integers(2, 11))):
            p += 1
            start = int(rng.integers(0, len(years)))
            span = int(rng.integers(1, 4))
            total = int(rng.integers(50_000, 5_000_000)) * 100
            shares = rng.dirichlet(np.ones(span))
            parts = np.floor(shares * total / 100).astype(np.int64) * 100
            parts[-1] = total - parts[:-1].sum()  # parts add up exactly to the total
            grant = rng.random() < 0.3
            for k in range(span):
                if start + k >= len(years):
                    break
                proj_rows.append(
                    {
                        "projekt": f"P{p:04d}",
                        "namnd": namnder["kod"][c],
                        "namn": f"Investeringsprojekt {p}",
                        "ar": years[start + k],
                        "utgift_ore": -int(parts[k]),
                        "finansieringsandel_ore": int(parts[k] // 4 // 100 * 100) if grant else 0,
                        "kostnadskalkyl_ore": -total,
                    }
                )
    investeringar = pd.DataFrame(proj_rows)
    return Kommun(f"Syntetisk kommun ({label})", label, years, namnder, enheter, budget, investeringar)


def mappning_rows(kommun: Kommun) -> list[dict[str, str]]:
    """The mapping table for a synthetic municipality: the example chart plus one range per unit."""
    rows = [{"typ": "konto", "fran": "1000", "till": "2999", "kod": "EXKL", "tecken": "",
             "benamning": "Balansräkningen"}]
    rows += [
        {"typ": "konto", "fran": str(a), "till": str(b), "kod": code, "tecken": "-", "benamning": ""}
        for a, b, code, _ in ACCOUNTS
    ]
    rows += [{"typ": "konto", "fran": "3800", "till": "3999", "kod": "RR.VI.OVR", "tecken": "-",
              "benamning": ""},
             {"typ": "konto", "fran": "5000", "till": "5999", "kod": "EXKL", "tecken": "",
              "benamning": ""},
             {"typ": "konto", "fran": "6100", "till": "9999", "kod": "EXKL", "tecken": "",
              "benamning": ""}]
    rows += [
        {"typ": "kst", "fran": f, "till": t, "kod": k, "tecken": "", "benamning": ""}
        for k, f, t in zip(kommun.enheter["kod"], kommun.enheter["kst_fran"],
                           kommun.enheter["kst_till"], strict=True)
    ]
    return rows


def write_mappning_csv(kommun: Kommun, path: str | Path) -> Path:
    path = Path(path)
    pd.DataFrame(mappning_rows(kommun)).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class LedgerTruth:
    """What the generator wrote, for exact checks: totals in öre, export sign (debit +)."""

    rows: int
    total_ore: int
    unmapped_account_ore: int
    unmapped_kst_ore: int  # rows with a mapped account but an unknown cost centre
    excluded_ore: int


def ledger_frame(
    kommun: Kommun,
    rows: int,
    *,
    seed: int = 0,
    odd_share: float = 0.001,
) -> pd.DataFrame:
    """Synthetic ledger rows: ``konto``, ``kostnadsstalle`` (str), ``period`` (1..12), ``belopp``
    (int64 öre, debit positive). A share ``odd_share`` of rows each goes to unmapped accounts,
    unmapped cost centres and balance-sheet accounts."""
    rng = np.random.default_rng(seed)
    # ~10 accounts per range
    accounts: list[str] = []
    income: list[bool] = []
    for a, b, _, inc in ACCOUNTS:
        picks = np.unique(np.linspace(a, b, min(10, b - a + 1)).astype(int))
        accounts += [str(x) for x in picks]
        income += [inc] * len(picks)
    accounts_arr = np.array(accounts, dtype=object)
    income_arr = np.array(income)
    acc_idx = rng.integers(0, len(accounts_arr), rows)
    konto = accounts_arr[acc_idx]
    nu = len(kommun.enheter)
    unit = rng.integers(0, nu, rows)
    kst_num = KST_BASE + unit * KST_PER_UNIT + rng.integers(0, KST_PER_UNIT, rows)
    kst = kst_num.astype(str).astype(object)
    # odd rows
    u = rng.random(rows)
    odd_acc = u < odd_share
    odd_kst = (u >= odd_share) & (u < 2 * odd_share)
    odd_bal = (u >= 2 * odd_share) & (u < 3 * odd_share)
    konto[odd_acc] = np.array(UNMAPPED_ACCOUNTS, dtype=object)[rng.integers(0, 2, odd_acc.sum())]
    konto[odd_bal] = np.array(BALANCE_ACCOUNTS, dtype=object)[rng.integers(0, 2, odd_bal.sum())]
    kst[odd_kst] = np.array(UNMAPPED_KST, dtype=object)[rng.integers(0, 2, odd_kst.sum())]
    # amounts: lognormal euros with cents; income credit (negative), 5 % reversals
    magnitude = np.round(np.exp(rng.normal(np.log(800), 1.6, rows)) * 100).astype(np.int64)
    magnitude = np.minimum(magnitude, 10**12)
    sign = np.where(income_arr[acc_idx], -1, 1) * np.where(rng.random(rows) < 0.05, -1, 1)
    belopp = magnitude * sign
    period = rng.integers(1, 13, rows).astype(np.int8)
    return pd.DataFrame({"konto": konto, "kostnadsstalle": kst, "period": period, "belopp": belopp})


def _fmt_amounts(cents: np.ndarray) -> pd.Series:
    """Exact decimal-comma text for integer cents (``-123456`` -> ``-1234,56``)."""
    a = np.abs(cents)
    euros = pd.Series(a // 100).astype(str)
    frac = pd.Series(a % 100 + 100).astype(str).str.slice(1)
    sign = pd.Series(np.where(cents < 0, "-", ""), dtype=object)
    return sign + euros + "," + frac


def write_ledger_csv(
    kommun: Kommun,
    path: str | Path,
    rows: int,
    *,
    seed: int = 0,
    odd_share: float = 0.001,
    year: int | None = None,
    encoding: str = "utf-8",
    chunk: int = 1_000_000,
) -> LedgerTruth:
    """Write a synthetic export (``Konto;Kostnadsställe;Period;Belopp``, decimal comma).

    ``Period`` is ``YYYY-MM`` for ``year`` (default the municipality's first year). Returns the
    true totals. Written in chunks of ``chunk`` rows, each seeded from ``seed`` and its index.
    """
    path = Path(path)
    year = year or kommun.ar[0]
    total = unmapped_acc = unmapped_kst = excluded = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        fh.write("Konto;Kostnadsställe;Period;Belopp\n")
        for i, start in enumerate(range(0, rows, chunk)):
            n = min(chunk, rows - start)
            df = ledger_frame(kommun, n, seed=seed * 1000 + i, odd_share=odd_share)
            b = df["belopp"].to_numpy()
            total += int(b.sum())
            acc_odd = df["konto"].isin(UNMAPPED_ACCOUNTS).to_numpy()
            bal = df["konto"].isin(BALANCE_ACCOUNTS).to_numpy()
            kst_odd = df["kostnadsstalle"].isin(UNMAPPED_KST).to_numpy()
            unmapped_acc += int(b[acc_odd].sum())
            excluded += int(b[bal & ~acc_odd].sum())
            unmapped_kst += int(b[kst_odd & ~acc_odd & ~bal].sum())
            months = pd.Series(df["period"].to_numpy()).map(
                {m: f"{year}-{m:02d}" for m in range(1, 13)}
            )
            lines = (
                df["konto"] + ";" + df["kostnadsstalle"] + ";" + months + ";"
                + _fmt_amounts(b)
            )
            fh.write("\n".join(lines.tolist()))
            fh.write("\n")
    return LedgerTruth(rows, total, unmapped_acc, unmapped_kst, excluded)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("--rows", type=int, default=None, help="ledger rows (default by size)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("."))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    kommun = generate_kommun(args.size, seed=args.seed)
    rows = args.rows or SIZES[args.size].rows
    kommun.dump_json(args.out / f"kommun_{args.size}.json")
    write_mappning_csv(kommun, args.out / f"mappning_{args.size}.csv")
    truth = write_ledger_csv(kommun, args.out / f"huvudbok_{args.size}_{rows}.csv", rows, seed=args.seed)
    print(f"{rows} rader, summa {truth.total_ore} öre -> {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

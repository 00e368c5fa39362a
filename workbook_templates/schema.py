"""The contract between the workbooks and the code: sheet names, table names, header names.

Input areas are Excel tables (ListObjects) read by table name and header, never by position, so
users may move them, insert rows and columns. Output sheets are owned by the tool: it writes their
values (and only them) on every refresh, from :data:`OUTPUT_ANCHOR` down.

Year columns are named by the ``Kolumn`` column of the ``tblAr`` table (e.g. "Budget 2026"); the
data tables have one column per such name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOKFORT_AR_CELL",
    "BOKFORT_AR_LABEL",
    "BOKFORT_PERIOD_CELL",
    "BOKFORT_PERIOD_LABEL",
    "BOKFORT_SHEET",
    "KOMMUN_OUTPUTS",
    "NAMND_OUTPUTS",
    "OUTPUT_ANCHOR",
    "OUTPUT_CLEAR",
    "OUTPUT_LOOKUP",
    "OWNED_MARK",
    "T",
    "TableSpec",
]


@dataclass(frozen=True)
class TableSpec:
    name: str
    sheet: str
    headers: tuple[str, ...]  # fixed headers; year columns follow where ``years`` is set
    years: bool = False


class T:
    """The input tables."""

    INSTALLNINGAR = TableSpec("tblInstallningar", "Inställningar", ("Inställning", "Värde"))
    AR = TableSpec("tblAr", "Inställningar", ("Kolumn", "År", "Typ", "Invånare"))
    # municipality workbook
    CENTRALA = TableSpec("tblCentrala", "Centrala poster", ("Kod", "Rad"), years=True)
    INVESTERINGAR = TableSpec(
        "tblInvesteringar", "Investeringar",
        ("Projekt", "Nämnd", "Uppgift", "Princip", "Kostnadskalkyl", "Tidigare år", "Kod", "Rad"),
        years=True,
    )
    ANDRINGAR = TableSpec(
        "tblAndringar", "Budgetändringar",
        ("Datum", "Paragraf", "Bindande post", "År", "Belopp", "Orsak", "Beslutat av"),
    )
    UTFALL_KOMMUN = TableSpec(
        "tblUtfallKommun", "Utfall",
        ("Objekt", "Kod", "Rad", "Utfall hittills", "Prognos helår", "Överskridningsrätt"),
    )
    BOKSLUT = TableSpec("tblBokslut", "Balans och kris",
                        ("Bokslutsår", "Ackumulerat överskott", "Fastställt år"))
    ATGARDER = TableSpec("tblAtgarder", "Balans och kris", ("Åtgärd", "Belopp", "År"))
    KRIS = TableSpec(
        "tblKris", "Balans och kris",
        ("År", "Koncernens ackumulerade överskott per inv", "Skattesats",
         "Skattesats, vägt medeltal", "Koncernens årsbidrag / avskrivningar %",
         "Koncernens lån och hyresansvar per inv", "Lån och hyresansvar per inv, medeltal",
         "Koncernens kalkylerade lånehanteringsbidrag", "Koncernens årsbidrag utan prövning",
         "Koncernens lån per inv", "Lån per inv, medeltal", "Koncernens relativa skuldsättning %"),
    )
    REGLER = TableSpec("tblRegler", "Regler RB", ("Inställning", "Värde"))
    NAMNDER = TableSpec("tblNamnder", "Resultatbalansering in",
                        ("Nämnd", "Måluppfyllelse", "Kommentar"))
    JUSTERINGAR = TableSpec("tblJusteringar", "Resultatbalansering in",
                            ("Nämnd", "Resultatenhet", "Nivå", "Belopp", "Orsak"))
    TIDPLAN = TableSpec("tblTidplan", "Resultatbalansering in", ("Steg", "Datum"))
    # committee workbook
    UPPGIFTER = TableSpec("tblUppgifter", "Uppgifter",
                          ("Uppgift", "Finansiering", "Princip", "Bindande mot"))
    DRIFT = TableSpec("tblDrift", "Driftsbudget", ("Uppgift", "Kod", "Rad"), years=True)
    UTFALL = TableSpec("tblUtfall", "Utfall",
                       ("Uppgift", "Kod", "Rad", "Utfall hittills", "Prognos helår"))
    RESULTATENHETER = TableSpec(
        "tblResultatenheter", "Resultatenheter",
        ("Resultatenhet", "Central", "Budget", "Utfall", "Måluppfyllelse", "Justering",
         "Handlingsplan", "Planerad användning", "Kommentar"),
    )


#: Output sheets of the municipality workbook, in order.
KOMMUN_OUTPUTS = ("Resultaträkning", "Finansieringsdel", "Investeringsdel", "Nyckeltal",
                  "Affärsverk", "Budgetutfall", "Sammandrag", "Resultatbalansering", "Kontroll",
                  "Bokfört utfall")
#: Output sheets of a committee workbook ("Bokfört utfall" is written by import-utfall).
NAMND_OUTPUTS = ("Resultat", "Kontroll", "Bokfört utfall")

OWNED_MARK = "Utdata – skrivs av kommunbudget vid varje uppdatering. Skriv inte här."
OUTPUT_ANCHOR = "A3"  # title in A1, the mark in A2, the tables from A3 down
#: What a refresh clears before writing: every data row of an owned sheet, below the title (A1)
#: and the mark (A2) that the template owns, so a shorter output leaves nothing of a longer one.
OUTPUT_CLEAR = "A3:XFD1048576"
#: The area the Översikt sheet's formulas look up in an owned sheet (header row 3).
OUTPUT_LOOKUP = "A3:P600"

#: Template version, written as a setting in tblInstallningar by every template. Version 0.1 (no
#: such setting) took tblResultatenheter's Budget and Utfall as costs positive; from 0.2 they are in
#: published signs like tblDrift (income +, costs −). The loader converts 0.1 tables.
MALLVERSION = "0.2"
MALLVERSION_INSTALLNING = "Mallversion"
MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV = "0.1"

SHEET_INSTRUKTIONER = "Instruktioner"
SHEET_LISTOR = "Listor"
SHEET_XLWINGS = "xlwings.conf"

JA_NEJ = ("ja", "nej")
PRINCIPER = ("brutto", "netto")
FINANSIERING = ("budgetfinansierad", "nettoenhet", "balansenhet", "affärsverk")
BINDANDE_MOT = ("fullmäktige", "nämnd", "direktion")
AR_TYPER = ("bokslut", "budget", "prognos", "plan")
RB_NIVAER = ("enhet", "nämnd")
RB_STEG = ("Bokslutsgenomgång kommunledning–förvaltningsledning",
           "Kommunstyrelsens beslut per nämnd",
           "Bokslutsgenomgång med resultatenheterna",
           "Återrapportering till kommunstyrelsen")


# Owned sheet written by ``import-utfall`` and read back by the refresh as outturn to date.
BOKFORT_SHEET = "Bokfört utfall"
#: What the outturn in *Bokfört utfall* is for, written by ``import-utfall`` in the title row
#: beside the template's title (A1), above the rows it writes from :data:`OUTPUT_ANCHOR` (so no
#: column moves): the label in B1, the follow-up year in C1 (the refresh counts the rows only
#: when C1 is Bokslutsår + 1), the label in D1 and the last period with bookings in E1.
#: A sheet written before 2026-12 has rows and no year (docs/DECISIONS.md).
BOKFORT_AR_LABEL = ("B1", "Utfallsår")
BOKFORT_AR_CELL = "C1"
BOKFORT_PERIOD_LABEL = ("D1", "Till och med period")
BOKFORT_PERIOD_CELL = "E1"

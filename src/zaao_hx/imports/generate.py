"""`zaao-hx generate DIR --customers N`: a synthetic billing snapshot in the import format.

For benchmarks and load tests: Latvian names and addresses in ZAAO's area, valid personal
codes (old DDMMYY-CNNNN, a few new 32…) and registration numbers, schedules as RRULEs
(weekly, every 2 or 4 weeks on a weekday; some monthly, some summer-only), a year of
monthly invoices (legal persons) or statements (private persons) of 2–3 lines, payments
for most of them, and the holiday shifts of the collection calendar.

The same seed and date give the same bytes.  About 54 rows per customer; 100,000
customers write ≈ 1.2 M invoices in some 20–30 s (it is row building and CSV writing:
everything per customer is looked up in tables prepared once).
"""

from __future__ import annotations

import csv
import datetime
import json
import random
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from dateutil.rrule import rrulestr

from zaao_hx.billing.calendar import second_working_day
from zaao_hx.imports.format import FILES, MANIFEST, WASTE_LINE_TEXT

DEFAULT_AS_OF = datetime.date(2026, 11, 28)
RIGA = ZoneInfo("Europe/Riga")
VAT_RATE = 21
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: never real mail

MALE = (
    "Jānis Andris Edgars Māris Aivars Juris Guntis Raivis Kārlis Mārtiņš Artūrs Roberts "
    "Dainis Valdis Ivars Uldis Gints Normunds Agris Rihards Oskars Ēriks Toms Kristaps "
    "Reinis Intars Arvīds Imants Pēteris Ojārs Gatis Armands Aigars Ainārs Viesturs"
).split()
FEMALE = (
    "Ilze Inese Anna Kristīne Līga Sandra Dace Ieva Laura Zane Baiba Inga Agnese Santa "
    "Evita Līva Elīna Marta Daiga Ināra Vija Skaidrīte Gunta Rasma Anita Solvita Madara "
    "Elza Katrīna Dzintra Aija Sarmīte Ligita Iveta Signe"
).split()
# (male, female) forms
SURNAMES = [
    tuple(pair.split("/"))
    for pair in (
        "Bērziņš/Bērziņa Kalniņš/Kalniņa Ozoliņš/Ozoliņa Jansons/Jansone Ozols/Ozola "
        "Liepiņš/Liepiņa Krūmiņš/Krūmiņa Balodis/Balode Eglītis/Eglīte Zariņš/Zariņa "
        "Pētersons/Pētersone Vītols/Vītola Kļaviņš/Kļaviņa Kārkliņš/Kārkliņa Vanags/Vanaga "
        "Lācis/Lāce Siliņš/Siliņa Kazaks/Kazaka Rudzītis/Rudzīte Priede/Priede "
        "Zālītis/Zālīte Grīnbergs/Grīnberga Lapiņš/Lapiņa Sproģis/Sproģe Krastiņš/Krastiņa "
        "Āboliņš/Āboliņa Skujiņš/Skujiņa Purviņš/Purviņa Cīrulis/Cīrule Mednis/Medne "
        "Ziediņš/Ziediņa Turks/Turka Strods/Stroda Bite/Bite Vilks/Vilka Lūsis/Lūse"
    ).split()
]
COMPANY_FORMS = ("SIA", "SIA", "SIA", "SIA", "AS", "IK", "Z/S", "Biedrība")
COMPANY_FIRST = (
    "Vidzemes Gaujas Ziemeļu Salacas Burtnieku Raunas Abula Mazsalacas Zaļā Rūjas Lielā "
    "Meža Ezera Kalna Avotu Saules Dzirnavu Ozolu Liepu Priežu Bērzu Vecā Jaunā"
).split()
COMPANY_SECOND = (
    "Būve Serviss Nams Tirdzniecība Agro Koks Maiznīca Dārzs Transports Apsaimniekotājs "
    "Projekts Ceļš Enerģija Galdnieks Piens Medus Auto Sēta Krogs Aptieka Skola Viesnīca"
).split()

# town, municipality, postcode, streets, weight
TOWNS = (
    ("Valmiera", "Valmieras novads", "LV-4201",
     "Rīgas iela|Lāčplēša iela|Stacijas iela|Beātes iela|Cēsu iela|Purva iela|"
     "Georga Apiņa iela|Ausekļa iela|Tērbatas iela|Dzirnavu iela|Rūpniecības iela", 26),
    ("Cēsis", "Cēsu novads", "LV-4101",
     "Raunas iela|Piebalgas iela|Valmieras iela|Smilšu iela|Lapsu iela|Palasta iela|"
     "Rīgas iela|Festivāla iela|Bērzaines iela", 16),
    ("Smiltene", "Smiltenes novads", "LV-4729",
     "Dārza iela|Pils iela|Rīgas iela|Valkas iela|Galdnieku iela|Baznīcas laukums", 7),
    ("Valka", "Valkas novads", "LV-4701",
     "Rīgas iela|Semināra iela|Raiņa iela|Ausekļa iela|Varoņu iela", 5),
    ("Limbaži", "Limbažu novads", "LV-4001",
     "Cēsu iela|Jūras iela|Rīgas iela|Stacijas iela|Parka iela|Torņa iela", 8),
    ("Alūksne", "Alūksnes novads", "LV-4301",
     "Pils iela|Jāņkalna iela|Helēnas iela|Merķeļa iela|Ošu iela", 6),
    ("Gulbene", "Gulbenes novads", "LV-4401",
     "Rīgas iela|Brīvības iela|O. Kalpaka iela|Ābeļu iela|Dīķa iela", 6),
    ("Madona", "Madonas novads", "LV-4801",
     "Saieta laukums|Rūpniecības iela|Parka iela|Skolas iela|Raiņa iela", 8),
    ("Rūjiena", "Valmieras novads", "LV-4240", "Rīgas iela|Upes iela|Raiņa iela", 3),
    ("Mazsalaca", "Valmieras novads", "LV-4215", "Rīgas iela|Parka iela", 2),
    ("Salacgrīva", "Limbažu novads", "LV-4033", "Rīgas iela|Sila iela|Krasta iela", 3),
    ("Priekuļi", "Cēsu novads", "LV-4126", "Cēsu prospekts|Dārza iela", 3),
    ("Līgatne", "Cēsu novads", "LV-4110", "Spriņģu iela|Pilsoņu iela", 2),
    ("Strenči", "Valmieras novads", "LV-4730", "Rīgas iela|Valkas iela", 2),
    ("Ape", "Smiltenes novads", "LV-4337", "Stacijas iela|Pasta iela", 1),
)
# rural addresses: "house", parish, municipality, postcode
PARISHES = (
    ("Kocēnu", "Valmieras novads", "LV-4220"),
    ("Brenguļu", "Valmieras novads", "LV-4245"),
    ("Vaives", "Cēsu novads", "LV-4126"),
    ("Raunas", "Smiltenes novads", "LV-4131"),
    ("Blomes", "Smiltenes novads", "LV-4710"),
    ("Ērģemes", "Valkas novads", "LV-4711"),
    ("Umurgas", "Limbažu novads", "LV-4007"),
    ("Jaunannas", "Alūksnes novads", "LV-4341"),
    ("Stradu", "Gulbenes novads", "LV-4401"),
    ("Lazdonas", "Madonas novads", "LV-4824"),
)
HOUSES = (
    "Mežmalas Kalnāji Lejasozoli Ābeles Priedītes Saulītes Rūķīši Bērzi Ozolkalni Vecsētas "
    "Jaunzemji Avoti Dzērves Liepas Pīlādži Upmaļi Lazdas Straumēni Cīruļi Ezerkrasti"
).split()

# per emptying of one container, without VAT, in Valmiera (other towns: a tariff factor)
PRICE_CENTS = {
    ("mixed", 120): 450,
    ("mixed", 140): 520,
    ("mixed", 240): 780,
    ("mixed", 660): 1690,
    ("mixed", 1100): 2650,
    ("sorted", 240): 150,
    ("sorted", 1100): 1150,
    ("bio", 140): 390,
    ("bio", 240): 560,
    ("glass", 240): 200,
    ("pko_bag", 1000): 380,
}
TARIFF = {
    "Valmieras novads": 100,
    "Cēsu novads": 104,
    "Smiltenes novads": 98,
    "Valkas novads": 97,
    "Limbažu novads": 103,
    "Alūksnes novads": 96,
    "Gulbenes novads": 99,
    "Madonas novads": 101,
}
PAYMENT_CHANNELS = ("Swedbank", "SEB", "bank transfer", "Luminor", "Citadele", "cash")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def vat_of(net_cents: int) -> int:
    """21 % VAT, rounded half up (away from zero) to the cent."""
    sign = -1 if net_cents < 0 else 1
    return sign * ((abs(net_cents) * VAT_RATE + 50) // 100)


def personal_code(rng: random.Random) -> str:
    """A valid Latvian personal code: mostly the old DDMMYY-CNNNN, 2 % the new 32…."""
    if rng.random() < 0.02:
        body = "32" + "".join(rng.choice("0123456789") for _ in range(8))
    else:
        born = datetime.date(1935, 1, 1) + datetime.timedelta(days=rng.randrange(25_000))
        century = (born.year - 1800) // 100
        body = f"{born:%d%m}{born.year % 100:02d}{century}{rng.randrange(1000):03d}"
    weights = (10, 5, 8, 4, 2, 1, 6, 3, 7, 9)
    check = (1 + sum(w * int(n) for w, n in zip(weights, body, strict=True))) % 11 % 10
    code = f"{body}{check}"
    return f"{code[:6]}-{code[6:]}"


def registration_no(rng: random.Random) -> str:
    """A valid Latvian registration number (legal persons: checksum ≡ 3 mod 11)."""
    weights = (9, 1, 4, 8, 3, 10, 2, 5, 7, 6)
    while True:
        body = rng.choice(("40003", "40103", "40203", "50003", "50103")) + "".join(
            rng.choice("0123456789") for _ in range(5)
        )
        check = (3 - sum(w * int(n) for w, n in zip(weights, body, strict=True))) % 11
        if check < 10:
            return f"{body}{check}"


def _ascii(text: str) -> str:
    table = str.maketrans("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ", "acegiklnsuzACEGIKLNSUZ")
    return text.translate(table).lower().replace(" ", "").replace('"', "")


def _month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _iso(day: datetime.date) -> str:
    return day.isoformat()


class _Periods:
    """The twelve billing months before `as_of` and everything about them as strings."""

    def __init__(self, as_of: datetime.date) -> None:
        year, month = as_of.year, as_of.month
        if second_working_day(year, month) > as_of:
            year, month = _month_add(year, month, -1)
        self.months = []
        for k in range(11, -1, -1):
            iy, im = _month_add(year, month, -k)
            py, pm = _month_add(iy, im, -1)
            start = datetime.date(py, pm, 1)
            end = datetime.date(iy, im, 1) - datetime.timedelta(days=1)
            issue = second_working_day(iy, im)
            month_end = datetime.date(*_month_add(iy, im, 1), 1) - datetime.timedelta(days=1)
            self.months.append(
                {
                    "start": start,
                    "end": end,
                    "issue": issue,
                    "issue_s": _iso(issue),
                    "due_legal_s": _iso(issue + datetime.timedelta(days=14)),
                    "due_private_s": _iso(month_end),
                    "start_s": _iso(start),
                    "end_s": _iso(end),
                    "tag": f"{im:02d}{iy}",
                    "quarter_end": pm in (3, 6, 9, 12),
                }
            )
        self.as_of = as_of
        self._counts: dict[tuple[str, datetime.date], list[int]] = {}

    def emptyings(self, rule: str, dtstart: datetime.date) -> list[int]:
        """How often a schedule empties a bin in each of the months (cached per schedule)."""
        key = (rule, dtstart)
        counts = self._counts.get(key)
        if counts is None:
            start = datetime.datetime.combine(dtstart, datetime.time())
            parsed = rrulestr(rule, dtstart=start)
            counts = [
                len(
                    parsed.between(
                        datetime.datetime.combine(m["start"], datetime.time()),
                        datetime.datetime.combine(m["end"], datetime.time()),
                        inc=True,
                    )
                )
                for m in self.months
            ]
            self._counts[key] = counts
        return counts


def _schedule(rng: random.Random, waste_type: str, legal: bool) -> tuple[str, datetime.date]:
    day = rng.randrange(5)
    first = datetime.date(2024, 1, 1) + datetime.timedelta(days=day)  # 1 Jan 2024: Monday
    byday = WEEKDAYS[day]
    if waste_type == "sorted" and rng.random() < 0.25:
        nth = rng.randrange(1, 5)
        rule = f"FREQ=MONTHLY;BYDAY={nth}{byday}"
        return rule, first + datetime.timedelta(weeks=nth - 1)
    if legal:
        interval = rng.choice((1, 1, 1, 2, 2)) if waste_type == "mixed" else rng.choice((2, 4))
    else:
        interval = rng.choice((1, 2, 2, 2, 4, 4, 4)) if waste_type == "mixed" else 4
    phase = rng.randrange(interval)
    dtstart = first + datetime.timedelta(weeks=phase)
    if interval == 1:
        return f"FREQ=WEEKLY;BYDAY={byday}", dtstart
    return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={byday}", dtstart


def _holiday_shifts(as_of: datetime.date, first: datetime.date) -> list[list[str]]:
    """Public holidays on working weekdays from the first billed month to 3 months ahead:
    collections move to the next day that is no holiday and no Sunday."""
    last = as_of + datetime.timedelta(days=92)
    names = holidays.country_holidays("LV", years=range(first.year, last.year + 2), language="lv")
    rows = []
    for day in sorted(names):
        if not first <= day <= last or day.weekday() >= 5:
            continue
        moved = day + datetime.timedelta(days=1)
        while moved in names or moved.weekday() == 6:
            moved += datetime.timedelta(days=1)
        reason = names[day].split(";")[0]
        rows.append([_iso(day), _iso(moved), "", "", reason])
        if day.month == 11 and day.day == 18:
            rows.append([_iso(day), "", "pko_bag", "Valmieras novads", reason])
        if day.month == 6 and day.day == 24:
            rows.append([_iso(day), "", "bulky", "Cēsu novads", reason])
    return rows


def generate(
    directory: Path,
    customers: int,
    seed: int = 1,
    as_of: datetime.date = DEFAULT_AS_OF,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the snapshot into `directory` (created); return the rows written per file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    periods = _Periods(as_of)
    months = periods.months
    town_weights = [t[4] for t in TOWNS]
    town_streets = {t[0]: t[3].split("|") for t in TOWNS}
    counts = {spec.name: 0 for spec in FILES}

    handles = {
        spec.name: open(directory / spec.name, "w", encoding="utf-8", newline="")  # noqa: SIM115
        for spec in FILES
    }
    try:
        writers = {name: csv.writer(h, lineterminator="\r\n") for name, h in handles.items()}
        for spec in FILES:
            writers[spec.name].writerow(spec.column_names)
        w_customers = writers["customers.csv"].writerows
        w_contracts = writers["contracts.csv"].writerows
        w_sites = writers["sites.csv"].writerows
        w_containers = writers["containers.csv"].writerows
        w_invoices = writers["invoices.csv"].writerows
        w_lines = writers["invoice_lines.csv"].writerows
        w_payments = writers["payments.csv"].writerows

        exceptions = _holiday_shifts(as_of, months[0]["start"])
        writers["collection_exceptions.csv"].writerows(exceptions)
        counts["collection_exceptions.csv"] = len(exceptions)

        contract_seq = site_seq = payment_seq = 0
        random_ = rng.random
        choice = rng.choice
        randrange = rng.randrange
        batch: dict[str, list] = {spec.name: [] for spec in FILES}
        for index in range(1, customers + 1):
            legal = random_() < 0.15
            customer_id = f"K-{index:07d}"
            town = rng.choices(TOWNS, weights=town_weights)[0]
            name_town, municipality, postcode = town[0], town[1], town[2]
            if random_() < 0.2 and not legal:
                parish = choice(PARISHES)
                house = choice(HOUSES)
                site_address = f'"{house}", {parish[0]} pag., {parish[1]}'
                municipality, postcode = parish[1], parish[2]
            else:
                site_address = f"{choice(town_streets[name_town])} {randrange(1, 80)}, {name_town}"
            address = f"{site_address}, {postcode}"
            phone = f"+371 2{randrange(10_000_000):07d}" if random_() < 0.6 else ""
            if legal:
                company = f"{choice(COMPANY_FIRST)} {choice(COMPANY_SECOND)}"
                name = f'{choice(COMPANY_FORMS)} "{company}"'
                reg_no = registration_no(rng)
                vat_no = f"LV{reg_no}" if random_() < 0.8 else ""
                email = (f"birojs@{_ascii(company)}.{choice(EMAIL_DOMAINS)}"
                         if random_() < 0.9 else "")
                code = ""
            else:
                female = random_() < 0.52
                first = choice(FEMALE if female else MALE)
                surname = choice(SURNAMES)[1 if female else 0]
                name = f"{first} {surname}"
                code = personal_code(rng)
                reg_no = vat_no = ""
                email = (
                    f"{_ascii(first)}.{_ascii(surname)}{randrange(100)}@{choice(EMAIL_DOMAINS)}"
                    if random_() < 0.55
                    else ""
                )
            batch["customers.csv"].append(
                [customer_id, "legal" if legal else "private", name, code, reg_no, vat_no,
                 phone, email, address]
            )

            n_contracts = 1 if not legal or random_() < 0.75 else 2
            for k in range(n_contracts):
                contract_seq += 1
                contract_no = f"{20 + k if legal else 10}-{contract_seq:07d}"
                start = datetime.date(2005, 1, 1) + datetime.timedelta(days=randrange(7300))
                end_date = ""
                if random_() < 0.01:
                    end_date = _iso(as_of + datetime.timedelta(days=randrange(30, 900)))
                quarterly = not legal and random_() < 0.1
                if legal:
                    delivery = choice(("email", "email", "email", "einvoice", "einvoice", "paper"))
                else:
                    delivery = choice(("paper", "paper", "email", "email", "email"))
                batch["contracts.csv"].append(
                    [contract_no, customer_id, _iso(start), end_date, delivery,
                     "quarterly" if quarterly else "monthly"]
                )
                # sites and containers: 2–3 containers per contract, at one or two sites
                n_sites = 2 if legal and random_() < 0.2 else 1
                sites = []
                for s in range(n_sites):
                    site_seq += 1
                    site_id = f"S-{site_seq:07d}"
                    where = site_address
                    if s:
                        where = f"{choice(town_streets[name_town])} {randrange(1, 80)}, {name_town}"
                    sites.append((site_id, where))
                    batch["sites.csv"].append([site_id, contract_no, where, municipality])
                kinds = ["mixed", "sorted"]
                if random_() < (0.6 if legal else 0.35):
                    kinds.append(choice(("bio", "glass", "pko_bag")) if legal else "bio")
                summer = not legal and random_() < 0.03
                bins = []
                tariff = TARIFF.get(municipality, 100)
                for k2, waste_type in enumerate(kinds):
                    site_id, where = sites[min(k2, len(sites) - 1)]
                    sizes = [v for (w, v) in PRICE_CENTS if w == waste_type]
                    volume = max(sizes) if legal and random_() < 0.6 else min(sizes)
                    count = randrange(1, 4) if legal and waste_type == "mixed" else 1
                    rule, dtstart = _schedule(rng, waste_type, legal)
                    if summer and waste_type == "mixed":
                        rule = rule.replace("FREQ=WEEKLY", "FREQ=WEEKLY;BYMONTH=5,6,7,8,9", 1)
                    container_id = f"{site_id}-{k2 + 1}"
                    batch["containers.csv"].append(
                        [container_id, site_id, waste_type, volume, count, rule, _iso(dtstart), ""]
                    )
                    price = (PRICE_CENTS[(waste_type, volume)] * tariff + 50) // 100
                    text = f"{WASTE_LINE_TEXT[waste_type]}, {volume} l"
                    if count > 1:
                        text += f" × {count}"
                    if n_sites > 1:
                        text += f" ({where})"
                    bins.append((text, price, count, periods.emptyings(rule, dtstart)))

                # a year of documents and their payments
                discount = legal and random_() < 0.05
                docs = []
                if quarterly:
                    groups, acc = [], []
                    for mi in range(12):
                        acc.append(mi)
                        if months[mi]["quarter_end"]:
                            groups.append(acc)
                            acc = []
                else:
                    groups = [[mi] for mi in range(12)]
                for group in groups:
                    last = months[group[-1]]
                    first_m = months[group[0]]
                    if quarterly:
                        q = (last["end"].month - 1) // 3 + 1
                        invoice_no = f"A{q}-{last['end'].year}-{contract_no}"
                    elif legal:
                        invoice_no = f"{contract_seq:07d}-{last['tag']}"
                    else:
                        invoice_no = f"M{last['tag']}-{contract_no}"
                    lines = []
                    net = 0
                    for text, price, count, per_month in bins:
                        times = sum(per_month[mi] for mi in group) * count
                        if not times:
                            continue
                        line_net = times * price
                        net += line_net
                        lines.append([invoice_no, len(lines) + 1, text, times, "reizes",
                                      money(price), VAT_RATE, money(line_net)])
                    if discount and net > 1000:
                        off = -(net // 20)
                        net += off
                        lines.append([invoice_no, len(lines) + 1, "Atlaide 5 %", 1, "gab.",
                                      money(off), VAT_RATE, money(off)])
                    if not lines:
                        continue
                    vat = vat_of(net)
                    total = net + vat
                    batch["invoices.csv"].append(
                        [invoice_no, contract_no, "invoice" if legal else "statement",
                         last["issue_s"],
                         last["due_legal_s"] if legal else last["due_private_s"],
                         first_m["start_s"], last["end_s"], money(net), money(vat), money(total)]
                    )
                    batch["invoice_lines.csv"].extend(lines)
                    docs.append((invoice_no, last["issue"], total))
                for i, (invoice_no, issue, total) in enumerate(docs):
                    latest = i == len(docs) - 1
                    if random_() < (0.45 if latest else 0.04):
                        continue  # not paid (yet)
                    paid_on = issue + datetime.timedelta(days=randrange(2, 26))
                    if paid_on > as_of:
                        continue
                    parts = [total]
                    if total > 2000 and random_() < 0.02:
                        half = total // 2
                        parts = [half, total - half]
                    for part in parts:
                        payment_seq += 1
                        batch["payments.csv"].append(
                            [f"P-{payment_seq:08d}", contract_no, invoice_no, _iso(paid_on),
                             money(part), choice(PAYMENT_CHANNELS), invoice_no]
                        )
                        paid_on = min(paid_on + datetime.timedelta(days=7), as_of)
                if random_() < 0.01:
                    # an advance payment not yet matched to any invoice
                    payment_seq += 1
                    batch["payments.csv"].append(
                        [f"P-{payment_seq:08d}", contract_no, "", _iso(as_of - datetime.timedelta(
                            days=randrange(1, 20))), money(randrange(500, 5000)), "bank transfer",
                         ""]
                    )
            if index % 1000 == 0 or index == customers:
                w_customers(batch["customers.csv"])
                w_contracts(batch["contracts.csv"])
                w_sites(batch["sites.csv"])
                w_containers(batch["containers.csv"])
                w_invoices(batch["invoices.csv"])
                w_lines(batch["invoice_lines.csv"])
                w_payments(batch["payments.csv"])
                for name, rows in batch.items():
                    counts[name] += len(rows)
                    rows.clear()
                if progress:
                    progress(index, customers)
    finally:
        for handle in handles.values():
            handle.close()

    manifest = {
        "as_of": datetime.datetime.combine(as_of, datetime.time(23, 0), tzinfo=RIGA).isoformat(),
        "next_refresh": _iso(as_of + datetime.timedelta(days=1)),
        "source": f"zaao-hx generate --customers {customers} --seed {seed}",
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return counts

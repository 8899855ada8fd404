"""`zaao-hx generate`: the same seed gives the same bytes, and what it writes is a valid,
plausible snapshot."""

from __future__ import annotations

import csv
import datetime
from collections import Counter, defaultdict

from dateutil.rrule import rrulestr
from stdnum.lv import pvn

from tests.conftest import SECRET
from tests.imports.conftest import cli
from zaao_hx.billing.calendar import latvia
from zaao_hx.imports.format import FILES, MANIFEST
from zaao_hx.imports.generate import TOWNS
from zaao_hx.imports.validate import SnapshotValidator


def rows(folder, name):
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_same_seed_writes_the_same_bytes(import_db, tmp_path):
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        done = cli(import_db, tmp_path, "generate", str(tmp_path / name), "--customers", "120",
                   "--seed", seed)
        assert done.returncode == 0, done.stderr
        assert "Wrote a snapshot of 120 customers" in done.stdout
    for spec_name in [MANIFEST, *(spec.name for spec in FILES)]:
        assert (tmp_path / "a" / spec_name).read_bytes() == (tmp_path / "b" / spec_name
                                                             ).read_bytes(), spec_name
    assert (tmp_path / "a" / "customers.csv").read_bytes() != (
        tmp_path / "c" / "customers.csv").read_bytes()


def test_a_generated_snapshot_is_valid_and_plausible(generated):
    report = SnapshotValidator(generated, SECRET).run()
    assert report.error_count == 0 and report.warning_count == 0, report.listing()
    customers = rows(generated, "customers.csv")
    assert len(customers) == 300
    legal = [c for c in customers if c["kind"] == "legal"]
    assert 0.08 < len(legal) / len(customers) < 0.25
    for c in customers:
        if c["kind"] == "private":
            assert pvn.is_valid(c["personal_code"]), c["personal_code"]
            assert not c["reg_no"]
        else:
            assert pvn.is_valid(c["reg_no"]) and c["reg_no"][0] in "45", c["reg_no"]
            assert not c["personal_code"]
    old_format = [c for c in customers if c["personal_code"][:2] not in ("", "32")]
    assert len(old_format) > 0.9 * (len(customers) - len(legal))
    assert all(c["personal_code"][6] == "-" for c in old_format)  # DDMMYY-CNNNN
    assert any(ch in "āčēģīķļņšūž" for c in customers for ch in c["name"])
    towns = {t[0] for t in TOWNS}
    assert sum(any(t in c["address"] for t in towns) for c in customers) > 200

    sites = rows(generated, "sites.csv")
    municipalities = Counter(s["municipality"] for s in sites)
    assert municipalities.most_common(1)[0][0] == "Valmieras novads"
    for container in rows(generated, "containers.csv"):
        start = datetime.datetime.fromisoformat(container["dtstart"])
        rule = rrulestr(container["rrule"], dtstart=start)
        assert rule.after(datetime.datetime(2026, 1, 1)) is not None
        assert "FREQ=WEEKLY" in container["rrule"] or "FREQ=MONTHLY" in container["rrule"]

    invoices = rows(generated, "invoices.csv")
    per_contract = Counter(i["contract_no"] for i in invoices)
    assert Counter(per_contract.values()).most_common(1)[0][0] == 12  # a year of months
    kinds = {c["contract_no"]: "invoice" for c in rows(generated, "contracts.csv")
             if c["contract_no"].startswith("2")}
    for i in invoices:
        assert i["kind"] == kinds.get(i["contract_no"], "statement")
    lines = Counter(line["invoice_no"] for line in rows(generated, "invoice_lines.csv"))
    assert 2 <= sum(lines.values()) / len(lines) <= 3
    paid = defaultdict(int)
    for p in rows(generated, "payments.csv"):
        if p["invoice_no"]:
            paid[p["invoice_no"]] += int(p["amount"].replace(".", ""))
    settled = sum(paid[i["invoice_no"]] == int(i["total"].replace(".", "")) for i in invoices)
    assert 0.8 < settled / len(invoices) < 1

    for exception in rows(generated, "collection_exceptions.csv"):
        day = datetime.date.fromisoformat(exception["date"])
        assert day in latvia(day.year) and day.weekday() < 5
        if exception["moved_to"]:
            assert datetime.date.fromisoformat(exception["moved_to"]) > day

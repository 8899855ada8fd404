"""Latvian first: what company staff read of an import (the report, the summary, the
history) is Latvian unless they ask for English, and every message is in the catalogue."""

from __future__ import annotations

from tests.imports.conftest import BASE, cli, do_import, replace_in, write_snapshot
from zaao_hx.imports.progress import history_table
from zaao_hx.imports.report import Report, warning_count_of
from zaao_hx.web.i18n import gettext, language


def _bad(tmp_path):
    return write_snapshot(tmp_path / "snapshot", {
        **replace_in("payments.csv", "18.88,Swedbank", "18.885,Swedbank"),
        **replace_in("contracts.csv", "2015-03-01,,paper", "2015-03-01,,fax"),
    })


def test_the_report_is_latvian_unless_english_is_asked_for(base_loaded, tmp_path):
    url = base_loaded
    folder = _bad(tmp_path)
    done = cli(url, tmp_path, "import", str(folder), lang=None)
    assert done.returncode == 1
    said = done.stderr.splitlines()
    assert said[0] == f"Noraidīts {folder}: 2 kļūdas; datubāze nav mainīta."
    assert "2 kļūdas:" in said
    assert ("  contracts.csv, rinda 2, kolonna delivery: 'fax' nav neviena no: paper, email, "
            "einvoice") in said
    assert ("  payments.csv, rinda 2, kolonna amount: '18.885' nav summa (cipari, punkts un "
            "ne vairāk kā 2 decimālzīmes, piem., 12.30)") in said
    english = cli(url, tmp_path, "import", str(folder), lang="en").stderr.splitlines()
    assert english[0] == f"Refused {folder}: 2 errors; the database is unchanged."
    assert "  contracts.csv, line 2, column delivery: 'fax' is not one of paper, email, " \
           "einvoice" in english
    history = cli(url, tmp_path, "imports", lang=None).stdout.splitlines()
    assert history[0].split()[:4] == ["#", "sākts", "(Rīga)", "iznākums"]
    assert "noraidīts" in history[1]
    assert "rejected" in cli(url, tmp_path, "imports", lang="en").stdout.splitlines()[1]


def test_a_folder_that_is_not_there_in_latvian(import_db, tmp_path):
    done = cli(import_db, tmp_path, "import", str(tmp_path / "nowhere"), lang=None)
    assert done.returncode == 1
    assert done.stderr == f"zaao-hx import: {tmp_path / 'nowhere'} nav mape\n"


def test_every_problem_of_a_broken_snapshot_is_translated(base_loaded, tmp_path):
    """A snapshot with many kinds of problem at once: each message has its own English
    (a message left out of the catalogue would read the same in both languages)."""
    changes = {
        **replace_in("invoices.csv", "M2,10-1,statement,2026-11-03", "M2,10-1,statement,x"),
        **replace_in("payments.csv", "18.88,Swedbank", '"18,88",Swedbank'),
        **replace_in("sites.csv", "S3,10-3", "S3,10-9"),
        **replace_in("customers.csv", "C3,private", "C2,private"),
        **replace_in("containers.csv", "FREQ=MONTHLY;BYDAY=2WE", "RRULE:FREQ=MONTHLY"),
        **replace_in("invoice_lines.csv", "1,mēn.,9.20,21,9.20", "1,mēn.,9.30,21,9.30"),
    }
    changes["manifest.json"] = BASE["manifest.json"].replace("+02:00", "")
    report = do_import(base_loaded, write_snapshot(tmp_path / "snapshot", changes)).report
    problems = [*report.errors, *report.warnings]
    assert len(problems) >= 7, report.listing()
    for problem in problems:
        with language("lv"):
            latvian = gettext(problem.message, **(problem.params or {}))
        with language("en"):
            english = gettext(problem.message, **(problem.params or {}))
        assert latvian != english, problem


def test_latvian_counts_in_the_listing():
    report = Report(limit=2)
    for n in range(21):
        report.error("payments.csv", n + 2, "amount", "vērtība ir obligāta")
    with language("lv"):
        listing = report.listing().splitlines()
        assert listing[0] == "21 kļūda:"
        assert listing[1] == "  payments.csv, rinda 2, kolonna amount: vērtība ir obligāta"
        assert listing[-1] == "  … un vēl 19 kļūdas, kas nav uzskaitītas"
    with language("en"):
        listing = report.listing().splitlines()
        assert listing[0] == "21 errors:"
        assert listing[1] == "  payments.csv, line 2, column amount: a value is required"
        assert listing[-1] == "  … and 19 more errors not listed"
    report.warning("customers.csv", 3, "reg_no", "tukša rinda izlaista")
    for lang, heading in (("lv", "1 brīdinājums:"), ("en", "1 warning:")):
        with language(lang):
            listing = report.listing()
        assert heading in listing.splitlines()
        # the history counts a stored listing's warnings whichever language it is in
        assert warning_count_of(listing) == 1
        with language("lv" if lang == "en" else "en"):
            assert warning_count_of(listing) == 1


def test_the_history_table_in_latvian():
    rows = [{"id": 3, "started_at": "2026-11-29 09:00:00+00:00",
             "finished_at": "2026-11-29 09:00:12.5+00:00", "outcome": "imported",
             "as_of": "2026-11-28 21:00:00+00:00", "source": "billing",
             "counts": '{"customers": 3}', "report": "2 brīdinājumi:\n  …"}]
    with language("lv"):
        table = history_table(rows, running_now=False).splitlines()
        assert table[0].split() == ["#", "sākts", "(Rīga)", "iznākums", "ilga", "dati", "uz",
                                    "klienti", "rēķini", "maksājumi", "brīd.", "avots"]
        assert table[1].split()[3] == "importēts" and table[1].split()[-2] == "2"
        assert history_table([], running_now=False) == "Importu vēl nav."

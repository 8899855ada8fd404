"""The billing snapshot: reading and checking it, loading it, generating one.

`zaao-hx import DIR` (service.py) makes a snapshot folder (CONTRACTS.md's format, named in
format.py) the portal's read model, or refuses it with a report:

- Checked (validate.py, in a child process — worker.py): every row of every file.  An
  **error** refuses the whole snapshot: a missing file or required column, a value that is
  not of its type (dates `YYYY-MM-DD`, money `-?digits[.d[d]]`, whole numbers, enums), an
  empty required value, a value longer than its column, bytes that are not UTF-8, control
  characters, malformed CSV, a key used twice, a reference to a row that is not there
  (contract → customer, site → contract, container → site, invoice → contract, line →
  invoice, payment → contract and invoice, and the payment's contract must be its
  invoice's), an RRULE that dateutil does not parse with its dtstart, an end before its
  start, net + vat ≠ total, and **an invoice whose lines do not add up to its net**.  The
  billing system writes each line's net and sums them for the invoice (VAT is computed
  once, on the total), so lines that disagree with their invoice are a broken export, and
  the portal would show a document contradicting itself: an error.  An invoice with no
  lines at all is only a **warning** (a manual invoice or an opening balance: the portal
  shows its totals).  So is a personal code or registration number whose check digit or
  birth date is wrong (old records exist; it is stored as given, hashed), an unknown
  column (ignored) and a missing optional one.
- Reported (report.py): file, line, column and what is wrong, the first 100 of each kind
  and how many more.  A personal code is never quoted, only its masked form.
- Loaded (store.py) in one transaction that replaces the whole read model (billing's
  tables, the demo's rows among them) and records the import in `snapshot`; nothing the
  portal owns is touched.  A refused snapshot leaves the read model as it was; its one
  trace is its `rejected` row in the history.
- Idempotent: a snapshot whose content hash (files, format version, personal-code key) is
  the last imported one's is not loaded again — recorded as `unchanged`, so nothing that
  may one day react to an import (publishing, mail) sees it twice.  `--force` loads it
  anyway and yields the very same rows.

`zaao-hx imports` lists the history (history.py); `zaao-hx generate` writes a synthetic
snapshot (generate.py).
"""

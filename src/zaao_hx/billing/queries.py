"""Read paths into the imported read model."""

from __future__ import annotations

from zaao_hx.billing.tables import Contract, Customer


async def contracts_with_customers(contract_nos: list[str]) -> list[dict]:
    """Each contract of the session with its customer's name, kind, phone and email."""
    if not contract_nos:
        return []
    contracts = await Contract.select(Contract.contract_no, Contract.customer_id).where(
        Contract.contract_no.is_in(contract_nos)
    )
    customers = {
        row["customer_id"]: row
        for row in await Customer.select(
            Customer.customer_id, Customer.name, Customer.kind, Customer.phone, Customer.email
        ).where(Customer.customer_id.is_in([c["customer_id"] for c in contracts] or [""]))
    }
    rows = []
    for contract in sorted(contracts, key=lambda c: contract_nos.index(c["contract_no"])):
        customer = customers.get(contract["customer_id"])
        if customer:
            rows.append({**customer, "contract_no": contract["contract_no"]})
    return rows

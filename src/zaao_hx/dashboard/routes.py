"""The signed-in home: the page the tabbed dashboard grows from."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from zaao_hx.accounts.guards import current_session, signed_in
from zaao_hx.billing.queries import contracts_with_customers
from zaao_hx.web.render import render


class DashboardController(Controller):
    guards = [signed_in]

    @get("/panelis", name="home")
    async def home(self, request: Request) -> Response:
        session = current_session(request)
        contracts = await contracts_with_customers(session.contract_nos)
        active = next(
            (c for c in contracts if c["contract_no"] == session.active_contract),
            contracts[0] if contracts else None,
        )
        return render(request, "dashboard/home.html", {"contracts": contracts, "active": active},
                      headers={"Cache-Control": "no-store"})

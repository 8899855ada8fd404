"""The public pages: start page with both sign-in boxes, terms, guide, accessibility, bookmarks."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from zaao_hx.accounts.service import TERMS_VERSION
from zaao_hx.web.i18n import N_, gettext
from zaao_hx.web.render import render

# ?zinojums=… on the start page: what happened before the redirect here.
START_MESSAGES = {
    "ienakt": N_("Lūdzu, ienāciet, lai turpinātu."),
    "izgajat": N_("Jūs esat izgājis no sistēmas."),
    "parole": N_("Parole nomainīta. Ienāciet ar jauno paroli."),
}



class PublicController(Controller):
    @get("/", name="start", sync_to_thread=False)
    def start(self, request: Request, zinojums: FromQuery[str | None] = None) -> Response:
        notice = START_MESSAGES.get(zinojums or "")
        return render(request, "public/start.html", {
            "demo": request.app.state.settings.demo,
            "notice": gettext(notice) if notice else None,
        })

    @get("/noteikumi", name="terms", sync_to_thread=False)
    def terms(self, request: Request) -> Response:
        return render(request, "public/terms.html", {"terms_version": TERMS_VERSION})

    @get("/instrukcija", name="guide", sync_to_thread=False)
    def guide(self, request: Request) -> Response:
        return render(request, "public/guide.html")

    @get("/pieejamiba", name="accessibility", sync_to_thread=False)
    def accessibility(self, request: Request) -> Response:
        return render(request, "public/accessibility.html")

    @get("/gramatzimes", name="bookmarks", sync_to_thread=False)
    def bookmarks(self, request: Request) -> Response:
        return render(request, "public/bookmarks.html")

"""Chromium driven by Playwright, with a guard that fails a test when the page logs a
JavaScript error or requests anything from outside the sandbox under test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Guard:
    """What went wrong in the page: console errors, uncaught exceptions, outside requests."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.problems: list[str] = []
        self.base_url = base_url
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # Chromium also logs every HTTP error answer as a console error; a card decline (402)
        # or a refused move (409) is an answer the page shows, so those are judged by status
        # in `_response` instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        path = response.url.removeprefix(self.base_url)
        if response.status >= 500 or (response.status >= 400 and path.startswith("/_sandbox/ui")):
            self.problems.append(f"{response.status} from {response.url}")

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.base_url + "/") or url.startswith(("data:", "blob:"))):
            self.problems.append(f"request outside the sandbox: {url}")


@contextmanager
def browser_page(base_url: str, width: int = 1280,
                 height: int = 800) -> Iterator[tuple[Any, Guard]]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "Chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(10_000)
            yield page, Guard(page, base_url)
        finally:
            browser.close()

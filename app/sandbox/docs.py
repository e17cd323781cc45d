"""`/_sandbox/docs`: Swagger UI for the control plane, from the assets the `swagger-ui-bundle`
package ships, so the page loads nothing from the network (offline CI, a laptop on a plane)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS = "/_sandbox/docs"
ASSETS = f"{DOCS}/assets"


def install(application: FastAPI, openapi_url: str) -> None:
    application.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title="invoice-sandbox control plane",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    application.add_api_route(DOCS, docs, methods=["GET"], include_in_schema=False)

"""Where SmartLink's InvoicesService lives and which form field each operation reads."""

from __future__ import annotations

SERVICE_PATH = "/URL2PayAdminWeb/rest/InvoicesService/"

# The form field holding the request's JSON, by operation, in order of preference.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "createInvoice": ("invoices",),
    "createPreAuthInvoice": ("invoices",),
    "inquireInvoice": ("invoice",),
    "deactivateInvoice": ("invoice",),
    "activateInvoice": ("invoice",),
    "completeInvoice": ("invoices", "invoice"),
    "refundInvoice": ("invoice", "invoices"),
}

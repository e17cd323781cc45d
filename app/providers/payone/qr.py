"""The `qrCode` field: a base64 PNG (no `data:` prefix) of a QR code holding the payment link."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno

SCALE = 4  # pixels per module
BORDER = 4  # quiet zone, in modules (the QR standard's minimum)


@lru_cache(maxsize=256)
def png_base64(text: str) -> str:
    code = segno.make_qr(text, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=SCALE, border=BORDER)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

"""`qrCode`: a base64 PNG whose QR symbol holds the invoice's payment link.

The PNG is decoded here with the standard library (chunks, CRCs, zlib, scanline filters), its
modules are sampled, and the matrix is compared with the QR symbol segno builds for the link.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

import pytest
import segno
from payone_support import PayOne

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def decode_png(data: bytes) -> list[list[bool]]:
    """Pixels of a non-interlaced greyscale or palette PNG, True where dark."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    pos, chunks = len(PNG_SIGNATURE), []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert color in (0, 3) and interlace == 0
    palette = next((body for kind, body in chunks if kind == b"PLTE"), b"")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    bpp = max(1, depth * CHANNELS[color] // 8)
    stride = (width * depth * CHANNELS[color] + 7) // 8
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xFF
        rows.append(line)
        previous = line
    pixels = []
    for line in rows:
        row = []
        for x in range(width):
            bit = x * depth
            value = (line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
            if color == 3:
                value = sum(palette[3 * value:3 * value + 3]) // 3
                depth_max = 255
            else:
                depth_max = (1 << depth) - 1
            row.append(value < depth_max / 2)
        pixels.append(row)
    return pixels


def modules(pixels: list[list[bool]]) -> list[list[bool]]:
    """The QR modules, located from the top-left finder pattern (7 dark modules wide)."""
    top = next(y for y, row in enumerate(pixels) if any(row))
    left = pixels[top].index(True)
    run = next(i for i, dark in enumerate(pixels[top][left:] + [False]) if not dark)
    assert run % 7 == 0
    scale = run // 7
    size = (len(pixels[0]) - 2 * left) // scale
    assert left == top and len(pixels) == len(pixels[0]) == size * scale + 2 * left
    return [[pixels[top + y * scale + scale // 2][left + x * scale + scale // 2]
             for x in range(size)] for y in range(size)]


def segno_matrices(text: str, size: int) -> list[list[list[bool]]]:
    """The symbols segno builds for `text` at this size, one per error level that fits."""
    out = []
    for level in "LMQH":
        try:
            code = segno.make_qr(text, version=(size - 17) // 4, error=level, boost_error=False)
        except segno.DataOverflowError:
            continue
        out.append([[bool(v) for v in row] for row in code.matrix])
    return out


def qr_matrix(qr_code: str) -> list[list[bool]]:
    png = base64.b64decode(qr_code, validate=True)
    return modules(decode_png(png))


def test_the_qr_code_is_a_png_of_the_payment_link(shop: PayOne) -> None:
    created = shop.create_one("QR-1", generateQRCode="yes")
    assert not created["qrCode"].startswith("data:")
    matrix = qr_matrix(created["qrCode"])
    assert len(matrix) >= 21 and (len(matrix) - 17) % 4 == 0
    assert matrix in segno_matrices(created["paymentLink"], len(matrix))
    # inquireInvoice shows the same code.
    assert shop.inquire("QR-1")["qrCode"] == created["qrCode"]


def test_each_invoice_gets_the_code_of_its_own_link(shop: PayOne) -> None:
    first, second = shop.create(*[
        {"invoiceID": f"QR-{i}", "amount": "5", "currency": "682", "paymentDescription": "d",
         "customerEmailAddress": "a@example.com", "expiryperiod": "1D",
         "generateQRCode": flag} for i, flag in ((1, "yes"), (2, "YES"))])
    assert first["qrCode"] != second["qrCode"]
    for created in (first, second):
        matrix = qr_matrix(created["qrCode"])
        assert matrix in segno_matrices(created["paymentLink"], len(matrix))
        other = second if created is first else first
        assert matrix not in segno_matrices(other["paymentLink"], len(matrix))


@pytest.mark.parametrize("flag", ["no", None])
def test_no_qr_code_unless_asked_for(shop: PayOne, flag: str | None) -> None:
    created = shop.create_one("PLAIN", generateQRCode=flag)
    assert created["qrCode"] == "" and shop.inquire("PLAIN")["qrCode"] == ""


def test_the_decoder_rejects_what_is_not_a_png() -> None:
    with pytest.raises(binascii.Error):
        base64.b64decode("not base64!", validate=True)
    with pytest.raises(AssertionError):
        decode_png(b"GIF89a")

"""The printed handout: one page on A4 and on US Letter, with a QR code that decodes to the family page.

The PDF comes from Chromium's own print path (``page.pdf``, print stylesheet applied); pages are
counted with pypdfium2, and the first page is rendered to pixels and read with zxing-cpp, the way a
phone camera would read the paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pypdfium2
import zxingcpp

from .family import icon_contrast_check, icon_screenshot
from .rules import Check

if TYPE_CHECKING:
    from playwright.sync_api import Page as Tab

PAPER = ("A4", "Letter")
RENDER_DPI = 200


def expected_qr_url(site_url: str, page_url: str) -> str:
    """The address a handout's QR code must encode: ``site_url`` + the page the handout belongs to.

    ``page_url`` is the handout's address relative to the site root: ``families/<id>/handout/`` (a study's,
    which points to ``families/<id>/``) or ``[<lang>/]families/topics/<medicine>/handout/`` (a medicine's
    published evidence, which points to ``[<lang>/]families/topics/<medicine>/``).
    """
    parts = [p for p in page_url.split("/") if p]
    if parts and parts[-1] == "handout":
        parts = parts[:-1]
    return (site_url if site_url.endswith("/") else site_url + "/") + "/".join(parts) + "/"


def pdf_pages(pdf: bytes) -> int:
    """The number of pages in a PDF."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def decode_qr(pdf: bytes, dpi: int = RENDER_DPI) -> list[str]:
    """The texts of every QR code on the PDF's first page, rendered at ``dpi``."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72)
        pixels = bitmap.to_numpy()
    finally:
        document.close()
    found = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found]


ICONS = ".handout img.chart"  # the handout's icon array (child figures)


def print_checks(tab: Tab, site_url: str, page_url: str, min_icon_contrast: float = 3) -> dict[str, Check]:
    """Prints the loaded handout on each paper size; checks the page count, the QR code, and the greyscale
    contrast of the icon array's two kinds of figure as printed (last: it turns the page grey)."""
    want = expected_qr_url(site_url, page_url)
    counts: list[str] = []
    page_problems: list[str] = []
    qr_problems: list[str] = []
    for paper in PAPER:
        pdf = tab.pdf(format=paper, print_background=True)
        pages = pdf_pages(pdf)
        counts.append(f"{paper} {pages}p")
        if pages != 1:
            page_problems.append(f"{paper}: prints on {pages} pages, expected 1")
        texts = decode_qr(pdf)
        if want not in texts:
            qr_problems.append(f"{paper}: the QR code decodes to {texts or 'nothing'}, expected {want!r}")
    png = icon_screenshot(tab, ICONS)
    icons = (icon_contrast_check(png, min_icon_contrast) if png is not None
             else Check(False, "none", [f"no icon array ({ICONS}) on the handout"]))
    return {
        "icons greyscale": icons,
        "print": Check(not page_problems, ", ".join(counts), page_problems),
        "qr": Check(not qr_problems, "ok" if not qr_problems else "wrong", qr_problems or [f"decodes to {want}"]),
    }

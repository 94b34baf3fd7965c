"""The printed handout: one page on A4 and on US Letter, with a QR code that decodes to the family page (or, while
the site's address is a placeholder, a draft box saying not to hand it out, and no QR code).

The PDF comes from Chromium's own print path (``page.pdf``, print stylesheet applied); pages are
counted with pypdfium2, and the first page is rendered to pixels and read with zxing-cpp, the way a
phone camera would read the paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pypdfium2
import zxingcpp

from ..urls import publication_address_problem
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
DRAFT_BOX = ".handout .handout-draft"  # the box a handout shows instead of its QR code while the address is a draft


def qr_check(decoded: dict[str, list[str]], draft_box: bool, site_url: str, page_url: str) -> Check:
    """The handout's way back to the site, as printed on each paper size (``decoded``: the QR texts per paper).

    With a publication address the QR code must decode to the family page and no draft box may show. With a
    placeholder address (a draft build) the handout must show the draft box ("do not hand out this sheet")
    and no QR code at all.
    """
    problems: list[str] = []
    if site_url.strip() and publication_address_problem(site_url) is not None:
        if not draft_box:
            problems.append(f"the site's address {site_url!r} is a placeholder, but the handout has no draft box "
                            f"({DRAFT_BOX}) saying not to hand it out")
        problems += [f"{paper}: a QR code decodes to {texts} while the address is a placeholder"
                     for paper, texts in decoded.items() if texts]
        return Check(not problems, "draft" if not problems else "wrong", problems or ["draft box, no QR code"])
    want = expected_qr_url(site_url, page_url)
    problems += [f"{paper}: the QR code decodes to {texts or 'nothing'}, expected {want!r}"
                 for paper, texts in decoded.items() if want not in texts]
    if draft_box:
        problems.append(f"the handout shows the draft box ({DRAFT_BOX}) although the site has a real address")
    return Check(not problems, "ok" if not problems else "wrong", problems or [f"decodes to {want}"])


def print_checks(tab: Tab, site_url: str, page_url: str, min_icon_contrast: float = 3,
                 max_pages: int = 1) -> dict[str, Check]:
    """Prints the loaded handout on each paper size; checks the page count (at most ``max_pages``), the QR
    code, and the greyscale contrast of the icon array's two kinds of figure as printed (last: it turns the page
    grey)."""
    counts: list[str] = []
    page_problems: list[str] = []
    decoded: dict[str, list[str]] = {}
    for paper in PAPER:
        pdf = tab.pdf(format=paper, print_background=True)
        pages = pdf_pages(pdf)
        counts.append(f"{paper} {pages}p")
        if not 1 <= pages <= max_pages:
            page_problems.append(f"{paper}: prints on {pages} pages, expected "
                                 + ("1" if max_pages == 1 else f"at most {max_pages} (one sheet, both sides)"))
        decoded[paper] = decode_qr(pdf)
    draft_box = tab.locator(DRAFT_BOX).count() > 0
    png = icon_screenshot(tab, ICONS)
    icons = (icon_contrast_check(png, min_icon_contrast) if png is not None
             else Check(False, "none", [f"no icon array ({ICONS}) on the handout"]))
    return {
        "icons greyscale": icons,
        "print": Check(not page_problems, ", ".join(counts), page_problems),
        "qr": qr_check(decoded, draft_box, site_url, page_url),
    }

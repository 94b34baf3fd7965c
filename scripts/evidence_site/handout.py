"""The printable family handouts' QR code (pure): the family page's public address as an SVG QR code.

The address is ``site_url`` (from mkdocs.yml, read at the edge by the pipeline) followed by the page the
handout belongs to: ``families/<study-id>/`` for a study, ``families/topics/<medicine>/`` for a medicine's
published evidence (``es/families/topics/<medicine>/`` for its Spanish twin). segno writes the SVG
deterministically, so the same address always gives the same file.
"""

from __future__ import annotations

import io

from .charts import Figure

# segno is imported where a code is drawn: a build whose figures all come from the cache never loads it.

QR_NAME = "handout-qr"  # written to docs/families/<study-id>/figures/handout-qr.svg


def family_page_url(site_url: str, study_id: str) -> str:
    """'https://example.org/families/<id>/' from the configured site address."""
    return page_address(site_url, f"families/{study_id}/")


def page_address(site_url: str, page_url: str) -> str:
    """'https://example.org/<page_url>' from the configured site address and a page's URL relative to the root."""
    if not site_url:
        raise ValueError("site_url is empty: set it in mkdocs.yml so handouts can point to the site.")
    return (site_url if site_url.endswith("/") else site_url + "/") + page_url


def qr_svg(url: str, scale: int = 4) -> str:
    """An SVG QR code for ``url`` (error correction M, quiet zone of 4 modules, black on white)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=4, dark="#000", light="#fff", xmldecl=False,
              title=f"QR code for {url}", desc=f"Scan to open {url}")
    return out.getvalue().decode("utf-8")


def handout_qr(study_id: str, site_url: str) -> Figure:
    """The QR code for one study's handout, as a figure of the family pages (cites no value)."""
    return page_qr(family_page_url(site_url, study_id))


def page_qr(url: str) -> Figure:
    """The QR code of a handout that points to ``url`` (cites no value)."""
    return Figure(QR_NAME, qr_svg(url), f"QR code. Scan it with a phone camera to open {url}")

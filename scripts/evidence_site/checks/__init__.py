"""Publication gates: the built site checked in a real browser before it is published.

Modules, in the order a run uses them:

- ``settings``  budgets, widths, tool versions and output paths (one dataclass, documented in place);
- ``pages``     finds the pages of a built MkDocs site (pure, file system only);
- ``links``     internal links and anchors resolved against the built files (pure);
- ``serve``     a local static server that gzips like a real host and counts bytes sent;
- ``browser``   launches Debian's Chromium through Playwright, or says what is missing;
- ``gates``     the per-page browser checks: axe, requests, weight, Vega, screenshots;
- ``printing``  the handout's PDF page count and QR code;
- ``vnu``       the Nu Html Checker;
- ``report``    results -> build/site-report.md (pure);
- ``run``       ties it together; ``scripts/check_site.py`` is its command line.
"""

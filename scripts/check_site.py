"""Publication gates on the built site: ``python scripts/check_site.py`` (``make check-site`` builds first).

Exit status: 0 every gate passed, 1 a gate failed, 2 the site or a tool is missing.
The report is written to build/site-report.md and printed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

try:
    import evidence_site  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from evidence_site.checks import report
from evidence_site.checks.browser import missing_tools
from evidence_site.checks.settings import Settings
from evidence_site.checks.vnu import ToolMissing


def main(argv: list[str] | None = None) -> int:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=defaults.site_dir, help="built site folder (default: site/)")
    parser.add_argument("--first-visit-kb", type=float, default=defaults.family_first_visit_kb,
                        help="budget for a family page's first visit, gzipped (default: %(default)s)")
    parser.add_argument("--repeat-visit-kb", type=float, default=defaults.family_repeat_visit_kb,
                        help="budget for a family page's repeat visit, gzipped (default: %(default)s)")
    parser.add_argument("--site-url", default="", help="public address the QR code must encode "
                        "(default: the canonical address MkDocs wrote from mkdocs.yml's site_url)")
    parser.add_argument("--report", type=Path, default=defaults.report_path, help="where to write the report")
    args = parser.parse_args(argv)
    settings = replace(defaults, site_dir=args.site, family_first_visit_kb=args.first_visit_kb,
                       family_repeat_visit_kb=args.repeat_visit_kb, site_url=args.site_url,
                       report_path=args.report)
    missing = missing_tools(settings)
    if missing:
        print("Cannot run the site checks; missing:\n  - " + "\n  - ".join(missing), file=sys.stderr)
        return 2
    from evidence_site.checks.run import SiteMissing, run  # imports Playwright: only once it is known to be there

    try:
        results = run(settings, log=lambda line: print(line, file=sys.stderr))
    except (SiteMissing, ToolMissing) as error:
        print(error, file=sys.stderr)
        return 2
    print(report.write(results, settings.report_path))
    print(f"Report written to {settings.report_path}", file=sys.stderr)
    return 0 if results.ok else 1


if __name__ == "__main__":
    sys.exit(main())

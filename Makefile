# Every task is one `make` target away; `make help` lists them.
# The first target that needs Python creates .venv and installs the pinned
# dependencies from scripts/requirements.lock, so a fresh clone needs only
# Python 3.11+ and make.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BUILD  := $(PY) scripts/build.py
ENGINE ?= mkdocs
PORT   ?= 8000
ZVENV  := .venv-zensical
ZSTAMP := $(ZVENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help site pages serve test lint golden demo-data bench clean zensical

help: ## List every target
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): scripts/requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0])'
	@echo "Setting up $(VENV) with the pinned dependencies (first run only)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r scripts/requirements.lock
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

site: $(STAMP) $(if $(filter zensical,$(ENGINE)),$(ZSTAMP)) ## Generate pages, then build site/ (ENGINE=mkdocs|zensical, --strict; PUBLISH=1 refuses a placeholder site_url; FORCE=1 runs the engine when nothing changed)
	$(BUILD) site --engine $(ENGINE) $(if $(PUBLISH),--publish) $(if $(FORCE),--force)

zensical: $(ZSTAMP) ## Install Zensical (the second engine) into .venv-zensical from its own lock

$(ZSTAMP): scripts/requirements-zensical.lock
	@test -x $(ZVENV)/bin/python || $(PYTHON) -m venv $(ZVENV)
	@$(ZVENV)/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-zensical.lock
	@touch $@

pages: $(STAMP) ## Generate the Markdown pages into docs/ only
	$(BUILD) pages

serve: $(STAMP) ## Live preview on http://127.0.0.1:$(PORT) (PORT=...), regenerating when data/ or templates/ change
	$(BUILD) serve --port $(PORT)

test: $(STAMP) ## Run the whole test suite (lint, unit, golden, site build, browser gates), on two processes
	$(PY) -m ruff check scripts tests
	$(PY) -m pytest -n 2 --dist loadgroup

.PHONY: check-site
check-site: site ## Build the site, then check every page in headless Chromium (axe, privacy, weight, links, HTML, print)
	$(PY) scripts/check_site.py

lint: $(STAMP) ## Ruff on the code
	$(PY) -m ruff check scripts tests

golden: $(STAMP) ## Refresh the golden rendered pages in tests/golden/ (review the diff before committing)
	$(PY) -m pytest tests/test_golden.py --update-golden -q

demo-data: $(STAMP) ## Regenerate the synthetic demonstration cohort (deterministic)
	$(PY) scripts/make_demo_cohort.py

bench: $(STAMP) ## Benchmark real builds (1/10/50 studies, 48/500/5000 patients) and the live preview: build/bench*.md
	$(PY) scripts/bench.py
	$(PY) scripts/bench.py --preview --runs 5

.PHONY: new-study
new-study: $(STAMP) ## Start a study: ID=<id> KIND=aggregate|records copies a commented template folder and validates it
	$(BUILD) new-study --id "$(ID)" --kind "$(or $(KIND),aggregate)"

.PHONY: diff
diff: $(STAMP) ## What changed vs BASE=<git ref> (default HEAD): writes build/numbers-diff.md
	$(PY) scripts/numbers_diff.py --base "$(or $(BASE),HEAD)"

clean: ## Remove build output (site/, build/, generated docs/, Python's compiled code), keep .venv
	rm -rf site build docs/families docs/clinicians docs/reference docs/es docs/index.md
	find scripts tests -name __pycache__ -type d -prune -exec rm -rf {} +

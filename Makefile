# One task runner for people and CI alike. Needs only Python 3.11+ and make.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
PY     := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Optional extras to install beside dev: CI adds `spark` (make test EXTRAS="dev spark").
# The stamp names the extras, so changing them syncs again (--inexact: nothing is removed).
EXTRAS ?= dev
empty :=
STAMP  := $(VENV)/.installed-$(subst $(empty) $(empty),+,$(strip $(EXTRAS)))

.PHONY: demo test install lint bench clean messages

# `make demo`: install, then build the synthetic demo region and run the main job on it.
demo: $(STAMP)
	$(VENV)/bin/vrukit demo
	$(VENV)/bin/vrukit analyse --out vrukit-demo/analysis
	$(VENV)/bin/vrukit risk --out vrukit-demo/risk
	$(VENV)/bin/vrukit istv score --out vrukit-demo/istv-quality
	$(VENV)/bin/vrukit istv analyse --out vrukit-demo/istv-analysis
	$(VENV)/bin/vrukit istv share --out vrukit-demo/istv-share
	$(VENV)/bin/vrukit evaluate --out vrukit-demo/evaluation
	for q in 2021-Q2 2021-Q3 2021-Q4 2022-Q1; do \
	  $(VENV)/bin/vrukit board-pack --quarter $$q --out vrukit-demo/board-packs || exit 1; done
	$(VENV)/bin/vrukit sna --out vrukit-demo/site

# `make test`: install, lint (ruff, mypy), then run the whole test suite on TEST_WORKERS
# processes (pytest-xdist; a module's tests stay on one worker, so its fixtures are built once).
# TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

install: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml uv.lock package.json package-lock.json | $(UV)
	$(UV) sync --frozen --inexact --compile-bytecode $(addprefix --extra ,$(EXTRAS)) --python $(PYTHON) --quiet
	@command -v npm >/dev/null || { echo "npm is needed for the site's front-end files"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -f $(VENV)/.installed-*
	touch $@

uv.lock: pyproject.toml | $(UV)
	$(UV) lock --python $(PYTHON)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy src

bench: $(STAMP)
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/hotspots.py
	$(PY) benchmarks/kde.py
	$(PY) benchmarks/risk.py
	$(PY) benchmarks/sna.py
	$(PY) benchmarks/istv.py
	$(PY) benchmarks/istv_locate.py
	$(PY) benchmarks/demo.py
	$(PY) benchmarks/startup.py

clean:
	rm -rf $(VENV) $(TOOLS) vrukit-demo .pytest_cache node_modules

# `make messages`: re-extract the SNA site's catalogue and merge it into each language's .po.
LOCALES := src/vrukit/publish/locales
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k t --no-location --omit-header \
	  --sort-output -o $(LOCALES)/messages.pot .
	$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages \
	  --no-fuzzy-matching --ignore-obsolete --width 100

# Two commands on a fresh machine with Python 3.11+:
#   make demo   create .venv, install mlgate, run the gate on the bundled example, compare
#               two pull requests' models with main's (mlgate check model), two pull
#               requests to the example pipeline (mlgate check pipeline), then serve the
#               example's trained model and check it (mlgate check serving)
#   make test   create .venv with the test extras and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE := examples/penguins
PIPELINE_EXAMPLE := examples/penguins-pipeline

.PHONY: demo test lint bench clean example-ci vega-assets

# torch is pinned to the CPU build: an unpinned torch would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[example,serve]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	@echo "== A pull request batch with problems (the gate fails, exit 1):"
	-$(BIN)/mlgate demo
	@echo
	@echo "== The clean batch (the gate passes, exit 0):"
	$(BIN)/mlgate demo --clean
	@echo
	@echo
	@echo "== The model against main's: main's baseline saved, then two pull requests' models"
	cd $(EXAMPLE) && ../../$(BIN)/python train_sklearn.py
	cd $(EXAMPLE) && ../../$(BIN)/mlgate baseline save model/main --model model/model.skops \
		--data data/current_clean.csv --target species
	cd $(EXAMPLE) && ../../$(BIN)/python train_sklearn.py --variant lost-feature \
		-o model/pr-lost-feature.skops
	cd $(EXAMPLE) && ../../$(BIN)/python train_sklearn.py --variant retuned -o model/pr-retuned.skops
	@echo
	@echo "== A pull request whose refactor lost bill_length_mm (the gate fails, exit 1):"
	-cd $(EXAMPLE) && ../../$(BIN)/mlgate check model --model model/pr-lost-feature.skops \
		--baseline model/main --data data/current_clean.csv --target species --slice island
	@echo
	@echo "== A pull request that retunes the regularisation (the gate passes, exit 0):"
	cd $(EXAMPLE) && ../../$(BIN)/mlgate check model --model model/pr-retuned.skops \
		--baseline model/main --data data/current_clean.csv --target species --slice island
	@echo
	@echo "== The pipeline: a pull request that pairs birds by position, not by id (fails in 'joined', exit 1):"
	-cd $(PIPELINE_EXAMPLE) && ../../$(BIN)/mlgate check pipeline -c prs/wrong_join.yaml
	@echo
	@echo "== The pipeline: a refactor of 'features' to scikit-learn's encoder (passes, exit 0):"
	cd $(PIPELINE_EXAMPLE) && ../../$(BIN)/mlgate check pipeline -c prs/refactor.yaml
	@echo
	@echo "== The trained model, served by gunicorn and checked with held-out rows:"
	cd $(EXAMPLE) && ../../$(BIN)/mlgate check serving --model model/model.skops \
		--schema schema.yaml --target species --data data/current_clean.csv \
		--timing-requests 50

# The example's CI files as `mlgate init` writes them now (a test fails when they differ).
example-ci: $(VENV)/.installed-demo
	cd $(EXAMPLE) && rm -rf Dockerfile .dockerignore .github && ../../$(BIN)/mlgate init .

LINT_PATHS := $(wildcard src tests benchmarks examples)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# The example's own tests run from its folder, as its users would run them; the main
# suite runs last so its summary is the closing line.
test: lint
	cd $(EXAMPLE) && ../../$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/data_gate.py
	$(BIN)/python benchmarks/training_checks.py
	$(BIN)/python benchmarks/model_gate.py
	$(BIN)/python benchmarks/model_gate_seeds.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache

# The Vega runtime that HTML reports inline, and the reports' chart templates (Vega-Lite,
# in src/mlgate/reports/charts.py) compiled to Vega, in src/mlgate/reports/assets/: from
# the npm registry, with the licenses of everything Vega's browser build bundles. Bump
# the versions or change a template, run `make vega-assets`, run the browser tests, commit.
VEGA := 6.4.0
VEGA_LITE := 6.5.0
ASSETS := src/mlgate/reports/assets
# What Vega's browser build bundles (its command-line tools' dependencies are left out).
VEGA_BUNDLED := d3-* delaunator internmap robust-predicates topojson-client vega*

vega-assets: $(VENV)/.installed-test
	rm -rf build/vega-assets && mkdir -p build/vega-assets
	cd build/vega-assets && npm init -y >/dev/null && npm install --no-audit --no-fund \
		--ignore-scripts vega@$(VEGA) vega-lite@$(VEGA_LITE)
	cp build/vega-assets/node_modules/vega/build/vega.min.js $(ASSETS)/
	cd build/vega-assets/node_modules && for p in $$(ls -d $(VEGA_BUNDLED) | grep -vx vega-lite); do \
		v=$$(node -p "require('./$$p/package.json').version"); \
		l=$$(node -p "require('./$$p/package.json').license"); \
		printf '%s\n' "==== $$p $$v ($$l)"; cat $$(ls $$p/LICEN[CS]E* | head -1); echo; \
	done > ../../../$(ASSETS)/THIRD_PARTY_LICENSES.txt
	PYTHONPATH=src $(BIN)/python -c 'import json; from mlgate.reports import charts; \
		print(json.dumps({"digest": charts.templates_digest(), "templates": charts.TEMPLATES}))' \
		> build/vega-assets/templates.json
	node $(ASSETS)/compile-specs.mjs build/vega-assets/node_modules \
		build/vega-assets/templates.json > $(ASSETS)/vega-specs.json
	printf 'vega %s (inlined)\nvega-lite %s (compiles the templates)\n' $(VEGA) $(VEGA_LITE) \
		> $(ASSETS)/VERSIONS

# perfkit — the front door. Two commands on a fresh machine with Python 3.11+:
#   make report   builds the environment, generates the demo district, runs the annual report
#   make test     builds the environment, runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.perfkit-installed
YEAR   ?= 2022
MONTH  ?= 5
DEMO   := data/demo
DATA   ?= $(DEMO)/demo.xlsx
OUT    ?= reports/$(YEAR)
# the yearly archive (internal: it holds 涉密 rows); the demo's is built from its two earlier years
ARCHIVE ?= $(if $(filter $(DEMO)/%,$(DATA)),$(DEMO)/perfkit.duckdb,data/perfkit.duckdb)

.PHONY: report test demo lint lab bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("perfkit needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	# notebooks are committed without outputs: a git clean filter (named in .gitattributes) strips them
	-git rev-parse --git-dir >/dev/null 2>&1 && \
	  git config filter.perfkit-strip-outputs.clean "$(abspath $(BIN))/python -m perfkit.reporting.notebooks" && \
	  git config filter.perfkit-strip-outputs.smudge cat
	touch $(STAMP)

$(DEMO)/demo.xlsx: | $(STAMP)
	$(BIN)/perfkit demo --out $(DEMO) --year $(YEAR) --years 3

# the demo's archive: its two earlier years, so the report compares with last year and escalates
$(DEMO)/perfkit.duckdb: $(DEMO)/demo.xlsx
	rm -f $@
	for y in $$(($(YEAR) - 2)) $$(($(YEAR) - 1)); do \
	  $(BIN)/perfkit archive add $(DEMO)/$$y/demo.xlsx --year $$y --month $(MONTH) --db $@ || exit 1; done

demo: $(DEMO)/demo.xlsx $(DEMO)/perfkit.duckdb

# the demo district is generated only when the report runs on it
report: $(STAMP) $(if $(filter $(DEMO)/%,$(DATA)),$(DEMO)/demo.xlsx $(DEMO)/perfkit.duckdb)
	$(BIN)/perfkit report --data $(DATA) --year $(YEAR) --month $(MONTH) --out $(OUT) --archive $(ARCHIVE)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check perfkit tests benchmarks

lab: $(STAMP) $(DEMO)/demo.xlsx $(DEMO)/perfkit.duckdb
	mkdir -p $(VENV)/share/jupyter/lab/settings && echo '{"@jupyterlab/translation-extension:plugin": {"locale": "zh_CN"}}' > $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab notebooks/ --ContentsManager.pre_save_hook=perfkit.reporting.notebooks.strip_outputs_hook

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_score.py --projects 100000
	$(BIN)/python benchmarks/bench_engines.py --projects 10000 100000
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_explorer.py

clean:
	rm -rf $(VENV) $(DEMO) reports/*/

# perfkit — the front door. Two commands on a fresh machine with Python 3.11+:
#   make report   builds the environment, generates the demo district, runs the annual report
#                 (make report WORKSPACE=path/to/your/district for your own; make report WORKSPACE=data/demo-qingxi)
#   make test     builds the environment, runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.perfkit-installed
# the demo district is a workspace (data/demo/设置.yaml: its name, year, as-of month, data, archive);
# the second demo district (another province, year and month) is data/demo-qingxi
DEMO   := data/demo
DEMO2  := data/demo-qingxi
# the district to report on: a workspace folder (perfkit init); its settings decide year, month, data,
# archive and report folder. YEAR= MONTH= DATA= OUT= ARCHIVE= override them (none has a default here)
WORKSPACE ?= $(DEMO)
FLAGS = $(if $(DATA),--data $(DATA)) $(if $(YEAR),--year $(YEAR)) $(if $(MONTH),--month $(MONTH)) \
        $(if $(OUT),--out $(OUT)) $(if $(ARCHIVE),--archive $(ARCHIVE))

.PHONY: report test demo demo2 lint lab bench clean

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
	$(BIN)/perfkit demo --district gaoxin --out $(DEMO) --years 3

# a demo's archive: its earlier years (each year read from its own data), so the report compares with
# last year and escalates
$(DEMO)/perfkit.duckdb: $(DEMO)/demo.xlsx
	rm -f $@
	for f in $(DEMO)/20*/demo.xlsx; do $(BIN)/perfkit archive add $$f --workspace $(DEMO) || exit 1; done

$(DEMO2)/demo.xlsx: | $(STAMP)
	$(BIN)/perfkit demo --district qingxi --out $(DEMO2) --years 2

$(DEMO2)/perfkit.duckdb: $(DEMO2)/demo.xlsx
	rm -f $@
	for f in $(DEMO2)/20*/demo.xlsx; do $(BIN)/perfkit archive add $$f --workspace $(DEMO2) || exit 1; done

demo: $(DEMO)/demo.xlsx $(DEMO)/perfkit.duckdb
demo2: $(DEMO2)/demo.xlsx $(DEMO2)/perfkit.duckdb

# the demo district is generated only when the report runs on it; reports go to the workspace's
# 报告目录 (data/demo/reports/2022/ for the demo)
report: $(STAMP) $(if $(filter $(DEMO),$(WORKSPACE)),demo) $(if $(filter $(DEMO2),$(WORKSPACE)),demo2)
	$(BIN)/perfkit report --workspace $(WORKSPACE) $(FLAGS)

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
	rm -rf $(VENV) $(DEMO) $(DEMO2) reports/*/

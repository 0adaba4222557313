# Treatment Desk: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench soak lint format clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m desk_app.syscheck
	$(BIN)/python -m desk_app $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2

# The kill harness at length: 5,000 SIGKILLs (about 8 minutes); make test runs 200.
soak: $(STAMP)
	KILLS=5000 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests/unit/test_kill_harness.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -s tests/benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info

# README screenshots from real windows on a virtual screen (needs: apt-get install xvfb).
screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1280x860x24" $(BIN)/python -m tests.support.screenshots

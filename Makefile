# Treatment Desk: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test bench soak lint format clean screenshots postgresql-server icons install-desktop bundle

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m desk_app.syscheck
	$(BIN)/python -m desk_app $(ARGS)

# A demo clinic to try the app or train on: a new one in a new private temporary folder each time,
# so it never opens over a clinic's database and starts at today's patients. Sign in as anyone with
# the password 'training' (PIN 123456).
demo: $(STAMP)
	$(BIN)/python -m desk_app.syscheck
	@folder=$$(mktemp -d "$${TMPDIR:-/tmp}/treatment-desk-demo.XXXXXX") && \
	$(BIN)/desk-app demo --db "$$folder/demo.sqlite3" && \
	$(BIN)/desk-app --db "$$folder/demo.sqlite3"

# The store's tests run on SQLite and on a throwaway PostgreSQL server on loopback, started and
# stopped around the run. Without one they are skipped, with the reason, unless
# DESK_APP_TEST_POSTGRES=required (as .ci/run sets): then they fail. One worker a core: with the
# tests' files in memory (tests/conftest.py) no worker waits on a disk sync any more, and a third
# worker only made them fight for the cores (141 s with two, 159 s with three, 171 s with four).
# --dist loadgroup: a module whose fixture builds a whole clinic (marked xdist_group) runs in one
# worker, so the clinic is built once, not once a worker.
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): without it
# each worker compiles and rewrites every test module (5 s instead of 1), and every program a test
# starts compiles the app again.
test: $(STAMP) postgresql-server
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q -j 0 desk_app tests/support
	PYTHONDONTWRITEBYTECODE= QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.support.pg_server -- $(BIN)/python -m pytest -q -n 2 --dist loadgroup

# Debian's PostgreSQL server programs, installed where they are missing (needs root or sudo).
postgresql-server:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql package for the PostgreSQL tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql ) \
		|| [ "$$DESK_APP_TEST_POSTGRES" != required ]; \
	fi

# The kill harness at length: 5,000 SIGKILLs on SQLite (about 8 minutes) and 1,000 on PostgreSQL
# (about 2 minutes); make test runs 45 and 20. Then the app for a month on a clock sped up by
# libfaketime (half a minute; needs apt-get install faketime); make test runs 3 days.
soak: $(STAMP) postgresql-server
	KILLS=5000 KILLS_ON_POSTGRESQL=1000 QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.support.pg_server -- $(BIN)/python -m pytest -q tests/unit/test_kill_harness.py
	FAKETIME_DAYS=31 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs tests/gui/test_weeks_under_faketime.py

bench: $(STAMP) postgresql-server
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.support.pg_server -- $(BIN)/python -m pytest -q -s tests/benchmarks

# Style, then types: mypy checks desk_app, strict on domain/ ([tool.mypy] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info

# README screenshots from real windows on a virtual screen (needs: apt-get install xvfb): a 1366x768
# clinic PC, and a 1920x1080 screen at 150% (pictures ending -150).
screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python -m tests.support.screenshots
	QT_SCALE_FACTOR=1.5 xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m tests.support.screenshots -150

# The PNGs and the Windows .ico drawn again from resources/icons/treatment-desk.svg (by Qt; the files
# are committed, so only a changed SVG needs this).
icons: $(STAMP)
	$(BIN)/python -m tests.support.make_icons

# Treatment Desk in this user's application menu, with its icon: the bundle's program if `make
# bundle` built one, else this checkout's desk-app (PROGRAM=/path/to/it to choose another).
PROGRAM = $(CURDIR)/$(if $(wildcard dist/treatment-desk/treatment-desk),dist/treatment-desk/treatment-desk,$(BIN)/desk-app)
install-desktop: $(STAMP)
	sh resources/install/install-desktop.sh "$(PROGRAM)"

# A one-folder app that starts on a PC with no Python (issue 19): dist/treatment-desk/, with two
# programs, treatment-desk (the window) and desk-app (the commands); why two, and what is left out to
# keep it lean, is in resources/install/treatment-desk.spec. PyInstaller is installed into .venv for
# this only (pyproject's "bundle" extra; make test needs none of it). The smoke test then runs the
# bundle as a clinic PC would, and prints its size. On Windows: see the README.
BUNDLE_STAMP := $(VENV)/.bundle-installed
$(BUNDLE_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[bundle]'
	touch $(BUNDLE_STAMP)

bundle: $(BUNDLE_STAMP)
	nice $(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
		resources/install/treatment-desk.spec
	cp resources/install/install-desktop.sh resources/install/treatment-desk.desktop dist/treatment-desk/
	$(BIN)/python -m tests.support.bundle_smoke dist/treatment-desk

# Every target installs what it needs on first use: a virtualenv in .venv with the project
# in editable mode. Nothing else has to be on the machine but Python 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench soak venv clean

# Two pytest processes: the suite waits on subprocesses and servers much of the time.
TEST_WORKERS  ?= 2
SOAK_SECONDS  ?= 300
SOAK_DATABASE ?= sqlite

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m plugin.demo

test: $(STAMP)
	scripts/ensure-postgres.sh
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The bounded soak (tests/soak.py): SOAK_SECONDS of load and faults, then the invariants.
soak: $(STAMP)
	scripts/ensure-postgres.sh
	$(PY) -m tests.soak --seconds $(SOAK_SECONDS) --database $(SOAK_DATABASE)

bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

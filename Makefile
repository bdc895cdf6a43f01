# Every target installs what it needs on first use: a virtualenv in .venv with the project
# in editable mode. Nothing else has to be on the machine but Python 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench soak venv clean image container-engine
IMAGE  ?= plexbooks:local

# Two pytest processes: the suite waits on subprocesses and servers much of the time. Tests
# of one file stay in one process (the image and the browser servers are made once per file).
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

test: $(STAMP) container-engine lint
	scripts/ensure-postgres.sh
	scripts/ensure-chromium.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The bounded soak (tests/soak.py): SOAK_SECONDS of load and faults, then the invariants.
soak: $(STAMP)
	scripts/ensure-postgres.sh
	$(PY) -m tests.soak --seconds $(SOAK_SECONDS) --database $(SOAK_DATABASE)

# the linter and the type checker, configured in pyproject.toml ([tool.ruff], [tool.mypy]); both must be clean
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# podman or docker, installed and configured when missing; the container tests skip (loudly) when none can run
container-engine:
	@scripts/container-engine.sh >/dev/null || echo "make: no container engine can run here: tests/test_container.py will be skipped" >&2

image:
	scripts/build-image.sh $(IMAGE)

bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

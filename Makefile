# Every target installs what it needs on first use: a virtualenv in .venv with the project
# in editable mode. Nothing else has to be on the machine but Python 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bytecode lint bench soak fuzz venv clean image container-engine
IMAGE  ?= plexbooks:local

# Three pytest processes on these two cores: the suite waits on subprocesses, servers and sleeps a
# good part of the time, and a third worker fills it. Latest, in one checkout one after the other:
# three workers 8 min 15 s of `make test` (864 s of CPU), four 9 min 7 s (1,054 s); fresh clones with
# three, their venv's install included, 9 min 10 s to 9 min 48 s. (Before the bytecode fix below,
# three had been slower than two: every process then compiled its modules from source, and the CPU
# ran out.) Work is handed
# out longest first (tests/scheduling.py): a file with shared (module or session) fixtures goes to one
# process whole, the other long files' tests spread over all of them.
TEST_WORKERS  ?= 3
# The container tests' image (tests/test_container.py), built in the background while the linters
# and the first tests run; its log and exit status land in TEST_IMAGE_BUILD.
TEST_IMAGE       ?= localhost/plexbooks:test-$(shell printf %s "$(CURDIR)" | sha256sum | cut -c1-8)
TEST_IMAGE_BUILD ?= build/test-image
SOAK_SECONDS  ?= 300
SOAK_DATABASE ?= sqlite
FUZZ_SECONDS  ?= 300

# uv resolves and installs the same releases as pip in a seventh of the time (13 s against 95 s for an
# empty .venv here); pip does the work where uv cannot be had.
# Bytecode is compiled at install (pip does it by default, uv only when asked): where
# PYTHONDONTWRITEBYTECODE is set, as on these machines, Python never writes it later, and every
# process would compile SQLAlchemy and the rest from source again: `plexbooks --version` took 2.8 s
# of CPU instead of 1.2 s, and `make test`, which starts hundreds of processes, half as long again.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	( $(PY) -m pip install --quiet --disable-pip-version-check uv && \
	  $(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '.[test]' ) || \
	  $(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# plexbooks' own modules (installed in place, so no installer compiles them), for the same reason;
# a module edited later is compiled again here, and read from source until then.
bytecode: $(STAMP)
	$(PY) -m compileall -q -j 0 plugin

venv: $(STAMP)

demo: $(STAMP) bytecode
	$(PY) -m plugin.demo

test: $(STAMP) bytecode container-engine
	scripts/ensure-postgres.sh
	scripts/ensure-chromium.sh
	scripts/build-image-background.sh $(TEST_IMAGE) $(TEST_IMAGE_BUILD)
	PLEXBOOKS_TEST_IMAGE=$(TEST_IMAGE) PLEXBOOKS_TEST_IMAGE_BUILD=$(TEST_IMAGE_BUILD) \
	  scripts/lint-and-pytest.sh $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The bounded soak (tests/soak.py): SOAK_SECONDS of load and faults, then the invariants.
soak: $(STAMP) bytecode
	scripts/ensure-postgres.sh
	$(PY) -m tests.soak --seconds $(SOAK_SECONDS) --database $(SOAK_DATABASE)

# Longer API fuzzing than `make test`'s one pass: each of the four runs (two databases, API key and session)
# fuzzes on random data for FUZZ_SECONDS.
fuzz: $(STAMP) bytecode
	scripts/ensure-postgres.sh
	PLEXBOOKS_FUZZ_SECONDS=$(FUZZ_SECONDS) PLEXBOOKS_FUZZ_RANDOM=1 $(PY) -m pytest -p no:cacheprovider tests/test_api_fuzz.py

# the linter and the type checker, configured in pyproject.toml ([tool.ruff], [tool.mypy]); both must be clean
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# podman or docker, installed and configured when missing; the container tests skip (loudly) when none can run
container-engine:
	@scripts/container-engine.sh >/dev/null || echo "make: no container engine can run here: tests/test_container.py will be skipped" >&2

image:
	scripts/build-image.sh $(IMAGE)

bench: $(STAMP) bytecode
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

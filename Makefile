# The two set-up commands: `make run` and `make test`. Each builds what it needs first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SITE = $(shell $(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
STAMP := $(VENV)/.installed
GEN := gen/.generated

.PHONY: run test lint unit bench clean protos mutants browser

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PY) >/dev/null || { echo "needs $(PY) (Python 3.11)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(GEN): $(STAMP) scripts/gen_protos.py $(shell find protos -name '*.proto')
	$(BIN)/python scripts/gen_protos.py
	echo "$(CURDIR)/gen" > $(SITE)/sgz_generated.pth
	touch $@

protos: $(GEN)

run: $(GEN)
	$(BIN)/sgz up

lint: $(GEN)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/buf lint gen/descriptors.binpb --config protos/buf.yaml --path sgz

# Debian's chromium (and a CJK font for readable screenshots) for the console's browser tests,
# installed by package name when missing and root; never a browser download. When it cannot be
# installed the browser tests say so, and fail under CI=1.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium for the browser tests"; \
	  apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && \
	    apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei >/dev/null 2>&1; } || \
	  echo "could not install chromium: the browser tests will say so"; \
	else echo "no /usr/bin/chromium and not root: the browser tests will say so"; fi

test: lint browser
	SGZ_TEST_DB=sqlite $(BIN)/pytest -q
	SGZ_TEST_DB=postgres $(BIN)/pytest -q

bench: $(GEN)
	$(BIN)/python -m bench

# Mutation testing of the rule code (roster_svc/domain, visit_svc/domain) with mutmut, run on
# the fast unit tests in a copy of the tree under $(MUTANTS_DIR) (the work tree is never
# mutated); lists every surviving mutant. docs/mutants.md gives the score and what each means.
MUTANTS_DIR ?= /tmp/sgz-mutants
mutants: $(GEN)
	rm -rf $(MUTANTS_DIR) && mkdir -p $(MUTANTS_DIR)
	git ls-files -z --cached --others --exclude-standard | \
	  tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C $(MUTANTS_DIR)
	cd $(MUTANTS_DIR) && SGZ_TEST_DB=sqlite nice $(CURDIR)/$(BIN)/mutmut run --max-children 1
	cd $(MUTANTS_DIR) && $(CURDIR)/$(BIN)/mutmut results

clean:
	rm -rf $(VENV) gen var

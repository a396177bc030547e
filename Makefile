# Set-up and everyday jobs. Every target creates .venv and installs the package when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all test-hyperspy install clean model-cards reference-lattices docs lint

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hyperspy-symmetry demo --out demo_output

# ruff lint and format check (configured in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

test-all: $(STAMP) test-hyperspy
	$(PY) -m pytest -q

# HyperSpy's own signal and extension-registry tests with this extension installed, as
# HyperSpy's extension CI runs them (about 5 minutes on 2 cores). Run from a temporary folder
# so that this project's pytest settings do not apply. TestAlignTools and TestSubPixelAlign
# are left out: they download scipy's "ascent" image, and nothing may be downloaded here.
test-hyperspy: $(STAMP)
	cd "$$(mktemp -d)" && $(abspath $(PY)) -m pytest --pyargs hyperspy.tests.test_extension_registry \
		hyperspy.tests.signals -q -p no:cacheprovider -k "not TestAlignTools and not TestSubPixelAlign"

# Regenerate docs/models.md from the shipped model cards (a test checks it is up to date).
model-cards: $(STAMP)
	$(PY) -c "from hyperspy_symmetry.models.cards import cards_markdown; open('docs/models.md', 'w').write(cards_markdown())"

# Regenerate the reference lattices of the aistem classes that lattice_rotation uses, shipped
# with the aistem card so that it needs no abTEM (a test checks the file is up to date).
reference-lattices: $(STAMP)
	$(PY) -c "import json; from hyperspy_symmetry.analysis.rotation import REFERENCE_FILE, reference_table; REFERENCE_FILE.write_text(json.dumps(reference_table(), indent=1) + '\\n')"

# The HTML documentation (Sphinx, MyST, numpydoc); warnings are errors.
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) demo_output .pytest_cache docs/_build

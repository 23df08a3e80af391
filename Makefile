# Two commands set everything up on a fresh machine: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
ASSETS := trainingapp/static/dist/app.css

.PHONY: run test bench assets

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package to the versions the suite last passed
# with (regenerate: .venv/bin/pip freeze --exclude-editable > constraints.txt).
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# GOV.UK Frontend (pinned in package-lock.json) compiled with the board's
# font stack and colours. Needs Node.js 20+ and npm.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ASSETS): node_modules/.package-lock.json assets/build.mjs $(wildcard assets/scss/*.scss assets/js/*.mjs assets/images/*)
	npm run --silent build

assets: $(ASSETS)

run: $(STAMP) $(ASSETS)
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop). Sign in at http://127.0.0.1:5000/login"
	HTTPS_ONLY=0 MAIL_BACKEND=$${MAIL_BACKEND:-console} $(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP) $(ASSETS)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

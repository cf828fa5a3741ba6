# `make dashboard` and `make test` set up everything a fresh machine needs, then run.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --quiet --disable-pip-version-check

.PHONY: install install-dev browser dashboard test sandbox bench

install:
	$(PIP) -r requirements.txt

install-dev: install
	$(PIP) -r requirements-dev.txt

# Debian's chromium for the end-to-end test; Playwright never downloads a browser.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

dashboard: install
	$(PYTHON) -m streamlit run streamlit_app.py

test: install-dev browser
	$(PYTHON) -m pytest -q

sandbox: install
	$(PYTHON) -m ingest sandbox

bench: install-dev
	$(PYTHON) -m bench

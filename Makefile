# Dynaspark Desktop. `make run` builds and opens the app; `make test` runs every test.
# Both install missing system packages first (scripts/deps.sh).

CARGO ?= cargo
# python3-gi (the drag-and-drop source) belongs to the system Python.
PYTHON ?= /usr/bin/python3
XVFB = xvfb-run -a -s "-screen 0 1600x900x24"

.PHONY: run test deps test-deps lint unit e2e fake screenshots

run: deps
	$(CARGO) run -p dynaspark-desktop

## Every test: formatting and lints, unit and integration tests, then the real app
## in a real window under Xvfb, driven through tauri-driver.
test: test-deps lint unit e2e

deps:
	@bash scripts/deps.sh

test-deps:
	@bash scripts/deps.sh --test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

e2e:
	$(CARGO) build --locked -p dynaspark-desktop -p fake-dynaspark
	$(XVFB) $(PYTHON) -m unittest discover -v -s tests/e2e -p "test_*.py"

## The fake Dynaspark server on port 8765, to try the app offline.
fake:
	$(CARGO) run -p fake-dynaspark -- --port 8765

## Retakes the README's screenshots (docs/screenshots/) from the real app.
screenshots: test-deps
	$(CARGO) build --locked -p dynaspark-desktop -p fake-dynaspark
	$(XVFB) $(PYTHON) tests/e2e/screenshots.py

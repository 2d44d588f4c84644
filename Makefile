# Dynaspark Desktop. `make run` builds and opens the app; `make test` runs every test.
# Both install missing system packages first (scripts/deps.sh).

CARGO ?= cargo
# python3-gi (the drag-and-drop source) belongs to the system Python.
PYTHON ?= /usr/bin/python3
XVFB = xvfb-run -a -s "-screen 0 1600x900x24"
# tauri-cli from npm (a prebuilt binary, seconds to install), pinned to the tauri crate's version.
TAURI_CLI_VERSION = 2.12.5
TAURI = $(CURDIR)/target/tools-node/node_modules/.bin/tauri

.PHONY: run test deps test-deps lint unit e2e fake screenshots bench-history bench bench-paint icons bundle test-bundle

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
	$(PYTHON) tests/i18n/check_keys.py
	$(PYTHON) tests/ui/check_modules.py
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	# cargo deny reads the crates of every platform; a build fetched only this one's.
	$(CARGO) fetch --locked
	$(CARGO) deny --offline check licenses bans sources

## Under a session bus with an unlocked gnome-keyring (the real keyring tests), with
## pproxy on PATH; both are required, so a missing one fails instead of skipping.
unit:
	PATH="$(CURDIR)/target/tools-venv/bin:$$PATH" DYNASPARK_REQUIRE_KEYRING=1 DYNASPARK_REQUIRE_PPROXY=1 \
	  dbus-run-session -- sh -c 'echo -n x | gnome-keyring-daemon --unlock --components=secrets >/dev/null && $(CARGO) test --workspace --locked'

e2e:
	$(CARGO) build --locked -p dynaspark-desktop -p fake-dynaspark -p history-gen
	$(XVFB) $(PYTHON) -m unittest discover -v -s tests/e2e -p "test_*.py"

## The fake Dynaspark server on port 8765, to try the app offline.
fake:
	$(CARGO) run -p fake-dynaspark -- --port 8765

## Retakes the README's screenshots (docs/screenshots/) from the real app.
screenshots: test-deps
	$(CARGO) build --locked -p dynaspark-desktop -p fake-dynaspark -p history-gen
	$(XVFB) $(PYTHON) tests/e2e/screenshots.py

## The history benchmark: the real app with an empty and a heavy generated history
## (10,000 conversations, 200,000 messages, one of 5,000), side by side; results in
## bench/results/. Options for the driver: BENCH_ARGS="--questions 200" and so on.
bench-history: test-deps
	$(CARGO) build --locked --release -p dynaspark-desktop -p fake-dynaspark -p history-gen
	$(XVFB) $(PYTHON) bench/history_bench.py $(BENCH_ARGS)

## What drawing the window costs: CPU per full repaint of the app, and how much of it
## each part and style takes (bench/paint_bench.py; BENCH_ARGS="--variants app,no-shadows").
bench-paint: test-deps
	$(CARGO) build --locked --release -p dynaspark-desktop -p fake-dynaspark
	$(XVFB) $(PYTHON) bench/paint_bench.py $(BENCH_ARGS)

## The footprint benchmark: the app beside an empty Tauri 2 window (bench/empty-window),
## both built here with the same release profile: binary size, start, memory, a 10 MB
## image sent, the time the app adds per question; the issue's targets, PASS or MISS;
## results in bench/results/. Options for the driver: BENCH_ARGS="--runs 10" and so on
## (bench/README.md).
## The app and the empty window are built by tauri-cli as it makes their .debs: the
## binaries measured are the builds the packages install.
bench: test-deps $(TAURI)
	$(CARGO) build --locked --release -p fake-dynaspark -p history-gen
	cd src-tauri && $(TAURI) build --bundles deb
	cd bench/empty-window && $(TAURI) build --bundles deb --config '{"bundle":{"active":true}}'
	$(XVFB) $(PYTHON) bench/footprint_bench.py $(BENCH_ARGS)

$(TAURI):
	@bash scripts/deps.sh --bundle
	npm install --prefix target/tools-node --no-audit --no-fund --silent @tauri-apps/cli@$(TAURI_CLI_VERSION)

## Every icon size Tauri needs (Windows, macOS, Linux) from the one source, icons/icon.svg.
icons: $(TAURI)
	rm -rf target/icons
	$(TAURI) icon icons/icon.svg -o target/icons
	cp target/icons/32x32.png target/icons/64x64.png target/icons/128x128.png \
	  target/icons/128x128@2x.png target/icons/icon.png target/icons/icon.icns target/icons/icon.ico icons/

## The Linux installer (.deb) in target/release/bundle/deb/. The other systems' formats
## (and AppImage) need tools downloaded at bundle time: the release workflow builds them.
bundle: deps $(TAURI)
	cd src-tauri && $(TAURI) build --bundles deb

## Installs the .deb on this machine (apt-get, as root or through sudo), starts the
## installed app under Xvfb from its menu entry, checks it, and removes the package.
test-bundle: bundle test-deps
	$(CARGO) build --locked -p fake-dynaspark
	$(XVFB) $(PYTHON) tests/bundle/test_deb.py

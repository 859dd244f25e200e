# Tandem's two commands, `make run` and `make test`, and their helpers. Every target installs
# what it needs and skips what is already there, so a fresh Debian/Ubuntu machine needs nothing
# else and a warm one wastes no time.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Builds live outside the clone so every clone and CI run on this machine shares one cache.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/tandem/target
export CARGO_TERM_COLOR ?= never
# Stops the accessibility bus from outliving the windows the tests open.
export NO_AT_BRIDGE := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMPS := $(CARGO_TARGET_DIR)/stamps
APP := $(CARGO_TARGET_DIR)/debug/tandem
# The Tauri CLI, for packaging. Not in the UI's lockfile: the registry here lacks its builds for
# other platforms, which `npm ci` would then refuse. Pinned, and kept outside the clone.
TAURI_CLI_VERSION := 2.12.5
TOOLS := $(CARGO_TARGET_DIR)/tools
# The package's programs: Tauri bundles the desktop app, `tandem-desktop`; the command users
# type, `tandem`, goes beside it. $(1) is the build's folder.
DEB_FILES = '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/tandem":"$(1)/tandem"}}}}}'
TAURI := $(TOOLS)/node_modules/.bin/tauri
# The most the built tests may run: a warm run takes about two minutes.
TEST_LIMIT ?= 15m

# What Tauri, WebKitGTK, the tray, Xvfb and the WebDriver tests need from Debian; sqlite3 and
# socat are the other programs the bridge tests talk to the database and the hub with; dunst is
# the notification daemon and status-notifier-watcher (haskell-status-notifier-item-utils) the
# tray host the end-to-end tests run on their private session bus; postgresql gives the
# team-board tests the server they start privately (never the system's own cluster).
APT_PACKAGES := build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev \
	libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libxdo-dev \
	xvfb xauth dbus-x11 dunst haskell-status-notifier-item-utils webkit2gtk-driver \
	imagemagick sqlite3 socat xdotool postgresql

UI_SOURCES := $(shell find ui/src ui/index.html ui/vite.config.ts ui/svelte.config.js \
	ui/tsconfig.json -type f 2>/dev/null)

.PHONY: help run test bench fuzz package deps bindings fmt screenshot clean-stamps

help:
	@echo "make run    build and open Tandem (under Xvfb when there is no display)"
	@echo "make test   every check and test: format, clippy, Rust, UI, end to end"
	@echo "make bench  measure the DESIGN targets beside naive baselines (release build)"
	@echo "make fuzz   fuzz every reader of outside bytes for FUZZ_SECONDS each (cargo-fuzz, nightly)"
	@echo "make package   build the .deb (release) into $(CARGO_TARGET_DIR)/release/bundle/deb"
	@echo "make bindings   regenerate ui/src/bindings from the Rust types"
	@echo "make fmt    format Rust and UI sources"
	@echo "make screenshot   remake docs/screenshot*.png (board, dark, a conversation) on a demo board"

## Set-up ---------------------------------------------------------------------------------------

deps: $(STAMPS)/apt $(STAMPS)/rust ui/node_modules/.installed

$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMPS)/rust:
	@mkdir -p $(STAMPS)
	@command -v cargo >/dev/null || { echo "cargo is missing: install Rust from rustup.rs"; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy
	@command -v node >/dev/null || { $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' \
		|| { echo "Node.js $$(node --version) is too old: the UI build (Vite 8) needs 20.19 or newer"; exit 1; }
	@touch $@

ui/node_modules/.installed: ui/package-lock.json $(STAMPS)/apt
	cd ui && npm ci --no-audit --no-fund
	@touch $@

$(TAURI): $(STAMPS)/rust
	npm install --prefix $(TOOLS) --no-save --no-package-lock --no-audit --no-fund \
		@tauri-apps/cli@$(TAURI_CLI_VERSION)
	@touch $@

ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && npm run build --silent

## The two commands ----------------------------------------------------------------------------

run: deps ui/dist/index.html
	cargo build --bins
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		exec $(APP); \
	else \
		echo "No display found: running Tandem under Xvfb on :99 (1280x800). Take a look with:"; \
		echo "  DISPLAY=:99 import -window root shot.png"; \
		exec scripts/headless.sh :99 1280x800 $(APP); \
	fi

test: deps ui/dist/index.html $(TAURI)
	cargo fmt --all -- --check
	cd ui && npx prettier --check . && npm run --silent check && npx vitest run
	cargo clippy --all-targets --locked -- -D warnings
	cargo test --locked --no-run
	@# Each end-to-end test has its own deadline; this one stops anything else that would hang.
	timeout --kill-after=30s $(TEST_LIMIT) cargo test --locked
	@# The package, from the debug build the tests used (same features: nothing recompiles).
	$(TAURI) build --debug --bundles deb --ci --config $(call DEB_FILES,$(CARGO_TARGET_DIR)/debug)
	scripts/check-deb.sh $(CARGO_TARGET_DIR)/debug/bundle/deb/Tandem_*_amd64.deb

# An AppImage is not offered: Tauri's AppImage bundler downloads its tools from GitHub at
# build time, and packages are built offline here.
package: deps ui/dist/index.html $(TAURI)
	cargo build --release --locked --bin tandem
	$(TAURI) build --bundles deb --ci --config $(call DEB_FILES,$(CARGO_TARGET_DIR)/release)
	scripts/check-deb.sh $(CARGO_TARGET_DIR)/release/bundle/deb/Tandem_*_amd64.deb
	@ls $(CARGO_TARGET_DIR)/release/bundle/deb/Tandem_*_amd64.deb

bench: deps ui/dist/index.html
	cargo bench --locked --bench live
	@# The memory rows: the release app under Xvfb, its PSS with one window and with two.
	@scripts/memory.sh $(CARGO_TARGET_DIR)/release/tandem-desktop

# Every reader of outside bytes (CSV, Trello and Tandem JSON, the settings file, the hub's
# frames, database locations, database files) fuzzed with libFuzzer for FUZZ_SECONDS each. What
# it finds new is kept in fuzz/corpus/<target>, which `make test` replays on stable; a crash is
# written to fuzz/artifacts and stops the run.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := csv trello tandem_json settings frames location database_file
fuzz: deps
	@command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@# Instrumented builds of their own, beside the app's.
	cd fuzz && for target in $(FUZZ_TARGETS); do \
		CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)-fuzz cargo +nightly fuzz run $$target corpus/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 || exit 1; \
	done

## Helpers -------------------------------------------------------------------------------------

bindings: deps
	TANDEM_WRITE_BINDINGS=1 cargo test --lib bindings

screenshot: deps ui/dist/index.html
	cargo build --bins
	scripts/screenshot.sh $(APP) docs/screenshot.png
	scripts/screenshot.sh $(APP) docs/screenshot-dark.png dark
	scripts/screenshot.sh $(APP) docs/screenshot-conversation.png light conversation

fmt: deps
	cargo fmt --all
	cd ui && npx prettier --write .

clean-stamps:
	rm -rf $(STAMPS) ui/node_modules/.installed

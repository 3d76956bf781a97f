# llmf: two commands on a fresh machine — `make run` and `make test`.
CARGO ?= cargo

.PHONY: run build test bench check docs fmt clippy snapshots model

## Build in release mode and start the course.
run: build
	./target/release/llmf

build:
	$(CARGO) build --release --locked

## Everything CI checks: formatting, lints, and every test. The built-in course is checked
## once, in full (`llmf check --stats lessons`), by tests/suite/check.rs, not a second time here.
test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) test --locked

## Every benchmark: each [[bench]] in Cargo.toml, one file each in benches/ (their first lines
## say what they time). One alone: `cargo bench --bench NAME`.
bench:
	$(CARGO) bench --locked

check:
	$(CARGO) run --locked --quiet -- check --stats lessons

## Regenerate the visualizer tables of lessons/README.md from src/viz/kinds.
docs:
	$(CARGO) run --locked --quiet -- check --kinds-doc lessons/README.md

fmt:
	$(CARGO) fmt --all

## Review changed screen snapshots: one by one with cargo-insta when it is installed, else
## written beside the old ones as .snap.new for you to look at; never accepted unseen.
snapshots:
	@if cargo insta --version >/dev/null 2>&1; then \
		$(CARGO) insta test --review --test suite screens::; \
	else \
		INSTA_UPDATE=new $(CARGO) test --locked --test suite screens:: || true; \
		echo "Changed screens are in tests/suite/snapshots/*.snap.new: compare each with its .snap,"; \
		echo "then rename the ones you accept over the .snap (or: cargo install cargo-insta)."; \
	fi

## Retrain the shipped base model from its fixed seed on the frozen corpus (about 1-2 minutes
## on one core); then rebuild so the binary embeds it.
model:
	$(CARGO) run --release --locked --quiet -- train --preset base --out assets/model/base.safetensors

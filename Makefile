# llmf: two commands on a fresh machine — `make run` and `make test`.
CARGO ?= cargo

.PHONY: run build test bench check docs fmt clippy snapshots model

## Build in release mode and start the course.
run: build
	./target/release/llmf

build:
	$(CARGO) build --release --locked

## Everything CI checks: formatting, lints, tests, and the built-in course.
test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) test --locked
	$(CARGO) run --locked --quiet -- check lessons

## Criterion benchmarks (frame rendering, render command, bytes written).
bench:
	$(CARGO) bench --locked

check:
	$(CARGO) run --locked --quiet -- check --stats lessons

## Regenerate the visualizer tables of lessons/README.md from src/viz/kinds.
docs:
	$(CARGO) run --locked --quiet -- check --kinds-doc lessons/README.md

fmt:
	$(CARGO) fmt --all

## Review changed insta snapshots (needs cargo-insta) or accept them all.
snapshots:
	INSTA_UPDATE=always $(CARGO) test --locked --test screens

## Retrain the shipped base model from its fixed seed on the frozen corpus (about 1-2 minutes
## on one core); then rebuild so the binary embeds it.
model:
	$(CARGO) run --release --locked --quiet -- train --preset base --out assets/model/base.safetensors

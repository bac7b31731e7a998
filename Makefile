# userfaultfd for Linux 6.1: harness around the patch series.
# `make run` builds and boots the guest and runs the userfaultfd selftest;
# `make check` is the whole test suite. See README.md.

SHELL := /bin/bash
S := scripts

.PHONY: all run check tree export export-check kernel kernel-debug ref-kernel \
	headers tests harness-test help health-compare stress bisect-check bench \
	clients

all: run

help:
	@sed -n 's/^## //p' README.md

tree:
	@$(S)/series.sh tree

export:
	@$(S)/series.sh export

export-check:
	@$(S)/series.sh check

kernel:
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh guest

kernel-debug:
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh debug

ref-kernel:
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh ref

tests:
	@$(S)/series.sh ensure
	@$(S)/build-tests.sh build/tests smoke uffd

harness-test:
	@python3 -m unittest discover -s tests/harness

run:
	@$(S)/run.sh

check:
	@$(S)/check.sh

# CLIENTS_KERNEL: debug (default), guest or ref: see scripts/clients.sh.
clients:
	@$(S)/clients.sh

health-compare:
	@$(S)/series.sh ensure
	@$(S)/health-compare.sh

# BENCH_ROUNDS (3), BENCH_DET_RUNS (1), BENCH_MODES (det wall),
# BENCH_NO_BUILD: see scripts/bench.sh.
bench:
	@$(S)/series.sh ensure
	@$(S)/bench.sh

# STRESS_MINUTES (30), STRESS_N (20), STRESS_BOUNCES (99), STRESS_TYPE (anon),
# STRESS_ITER_TIMEOUT (1200), STRESS_SEED: see scripts/stress.sh.
stress: kernel-debug
	@$(S)/stress.sh

# BISECT_BUILD=0 leaves out the builds: see scripts/bisect-check.sh.
bisect-check:
	@$(S)/bisect-check.sh

# userfaultfd for Linux 6.1: harness around the patch series.
# `make run` builds and boots the guest and runs the userfaultfd selftest;
# `make check` is the whole test suite. See README.md.

SHELL := /bin/bash
S := scripts

.PHONY: all run check tree export export-check kernel kernel-debug ref-kernel \
	headers tests harness-test help health-compare stress bisect-check bench \
	profile clients

all: run

help: ## this list
	@sed -n -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/p' Makefile | expand -t 24

tree: ## build/linux from the pinned base, base/prep/ and patches/
	@$(S)/series.sh tree

export: ## write build/linux's commits back into base/prep/ and patches/
	@$(S)/series.sh export

export-check: ## fail if an export would change base/prep/ or patches/
	@$(S)/series.sh check

kernel: ## the guest kernel, build/bzImage
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh guest

kernel-debug: ## the guest kernel with the debug overlay, build/bzImage-debug
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh debug

ref-kernel: ## the pristine base (upstream's userfaultfd), build/bzImage-ref
	@$(S)/series.sh ensure
	@$(S)/build-kernel.sh ref

tests: ## the smoke and userfaultfd test programs, build/tests
	@$(S)/series.sh ensure
	@$(S)/build-tests.sh build/tests smoke uffd

harness-test: ## the harness's own tests (tests/harness)
	@python3 -m unittest discover -s tests/harness

run: ## build, boot and run the userfaultfd selftest
	@$(S)/run.sh

check: ## the whole test suite, as CI runs it
	@$(S)/check.sh

# CLIENTS_KERNEL: debug (default), guest or ref: see scripts/clients.sh.
clients: ## the clients group alone (CLIENTS_KERNEL=debug|guest|ref)
	@$(S)/clients.sh

health-compare: ## base mm health tests on the pristine kernel and ours
	@$(S)/series.sh ensure
	@$(S)/health-compare.sh

# BENCH_ROUNDS (5), BENCH_DET_RUNS (2), BENCH_MODES (det det-noerms wall),
# BENCH_NO_BUILD: see scripts/bench.sh.
bench: ## benchmarks, upstream 6.1 vs ours: build/bench/report.md
	@$(S)/series.sh ensure
	@$(S)/bench.sh

# PROFILE_CMD, PROFILE_N, PROFILE_TOP, PROFILE_NO_BUILD: see scripts/profile.sh.
profile: ## guest instructions per kernel function of a benchmark, upstream vs ours
	@$(S)/series.sh ensure
	@$(S)/profile.sh

# STRESS_MINUTES (30), STRESS_N (20), STRESS_BOUNCES (99), STRESS_TYPE (anon),
# STRESS_ITER_TIMEOUT (1200), STRESS_SEED: see scripts/stress.sh.
stress: kernel-debug ## the bounce selftest in a loop on the debug kernel
	@$(S)/stress.sh

# BISECT_BUILD=0 leaves out the builds, BISECT_FROM=COMMIT checks only the
# commits after COMMIT: see scripts/bisect-check.sh.
bisect-check: ## build, checkpatch and kernel-doc every series commit
	@$(S)/bisect-check.sh

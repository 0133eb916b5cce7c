# Two commands do everything on a fresh machine:
#   make demo   build the site from the sample records and serve it through nginx on http://127.0.0.1:8000/ with the
#               caseworker's desk at /desk/ (sample users, password demo; a copy of the archive in .demo/;
#               FRESH=1 copies it anew); without nginx, only the site preview
#   make test   install what the tests need (Python packages, nginx, chromium) and run the whole suite
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
OUT ?= site
# The browser tests drive Debian's Chromium through Playwright: Playwright's own browsers are never downloaded.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = 1

.PHONY: demo build serve test system venv bench lint clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/bangfu serve --with-desk --out $(OUT) --port $(PORT) $(if $(FRESH),--fresh)

build: venv
	$(VENV)/bin/bangfu build --out $(OUT)

system:
	bash .ci/system-packages

test: system venv
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check generator tests bench
	$(VENV)/bin/ruff format --check generator tests bench

clean:
	rm -rf $(OUT) $(OUT).bangfu .bangfu-cache .demo
	git_dir=$$(git rev-parse --absolute-git-dir 2>/dev/null) && rm -rf "$$git_dir/bangfu-cache" || true

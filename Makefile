# `make run` and `make test` each bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test lint translations bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -d survey/translations

# Debug mode: the development secret key is accepted (survey.config.check_secrets).
run: export FLASK_DEBUG := 1
run: $(STAMP) translations
	$(BIN)/flask db upgrade
	$(BIN)/flask survey instruments check
	$(BIN)/flask survey instruments load
	$(BIN)/flask survey demo
	# The outbox worker with the console backend beside the server, stopped with it: the
	# demo's text messages (and their links) are printed here, never sent.
	$(BIN)/flask survey send --console --poll 2 & sender=$$!; \
	trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(STAMP) translations
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

bench: $(STAMP) translations
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# kam: the two commands a user needs are `make demo` and `make test`.
SHELL := /bin/bash
UV := $(shell scripts/ensure-uv)
PYTEST_WORKERS ?= 2

.PHONY: install demo serve test test-sqlite test-postgres lint format bench messages clean

install:
	$(UV) sync --frozen

demo: install
	$(UV) run kam demo

serve: install
	$(UV) run kam serve

test: install lint test-sqlite test-postgres

test-sqlite:
	$(UV) run pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# The database tests again on PostgreSQL, when a server answers (required in CI).
test-postgres:
	@url=$$(scripts/postgres-url); status=$$?; \
	if [ $$status -eq 0 ]; then \
	  echo "PostgreSQL run against $$url"; \
	  KAM_DATABASE_URL=$$url $(UV) run pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "django_db and not sqlite_only"; \
	elif [ $$status -eq 2 ]; then exit 1; fi

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy kam
	$(UV) run kam makemigrations --check --dry-run

format:
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: install
	$(UV) run python -m kam.bench

messages:
	cd kam && $(UV) run kam makemessages -l ru -l en --no-obsolete && $(UV) run kam compilemessages

clean:
	rm -rf var test-artifacts .pytest_cache .mypy_cache .ruff_cache

# Two commands do all the set-up: `make test` and `make book`.
# Both create .venv from requirements.txt when it is missing or older than the pins.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test book bench notebooks freeze lint clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Regenerate every chapter notebook from its MyST source and execute it in order.
notebooks: $(STAMP)
	$(BIN)/python -m tools.notebooks

lint: $(STAMP)
	$(BIN)/ruff check gflow_lib tests tools benchmarks
	$(BIN)/nbqa ruff book --extend-ignore=E402,F401

freeze: $(STAMP)
	{ echo "# The whole toolchain, pinned exactly (Python 3.11). Regenerate with: make freeze"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; echo "-e ."; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

clean:
	rm -rf _build

# Student copies of every chapter (solutions removed, code to write stubbed, outputs cleared),
# generated from the MyST sources into _build/student/ (git-ignored). See book/instructors.md.
.PHONY: student
student: $(STAMP)
	$(BIN)/python -m tools.student --out _build/student

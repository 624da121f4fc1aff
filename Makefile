# The one entry point. CI and the README call only these targets.
#
# Terraform's provider: from a local mirror when MLGOV_TF_PLUGIN_MIRROR names one (or one is found
# on the filesystem, see scripts/terraformrc.sh), else from the registry as usual.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .tools/checkov
STACKS := governance dev test prod
SYNTH_INPUTS := main.py $(shell find modules stacks mlgov_config lambda_src config -type f \( -name '*.py' -o -name '*.yaml' \) 2>/dev/null)
SYNTH_STAMP := build/synth.stamp
TF_RC := build/terraformrc

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONPATH := $(CURDIR):$(CURDIR)/lambda_src:$(CURDIR)/scripts
export PYTHONDONTWRITEBYTECODE := 1
export TF_CLI_CONFIG_FILE := $(CURDIR)/$(TF_RC)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON_BOOT) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## create the Python environments (project, checkov)

.PHONY: terraformrc
terraformrc:
	@scripts/terraformrc.sh

$(SYNTH_STAMP): $(VENV)/.installed $(SYNTH_INPUTS)
	$(PY) main.py --out terraform
	@mkdir -p build && touch $@

.PHONY: synth
synth: $(SYNTH_STAMP) ## generate terraform/<stack>/ from config (no-op when nothing changed)

.PHONY: validate
validate: synth terraformrc ## terraform init -backend=false + validate, every stack
	$(PY) scripts/terraform_cli.py validate $(addprefix terraform/,$(STACKS))

.PHONY: checkov
checkov: synth $(CHECKOV_VENV)/.installed ## checkov on every synthesized stack (skips need a reason on the resource)
	$(PY) scripts/checkov_gate.py --checkov $(CHECKOV_VENV)/bin/checkov $(addprefix terraform/,$(STACKS))

.PHONY: test
test: venv terraformrc ## the whole test suite (unit, config, synth, validate, checkov, Lambda, sandbox end to end)
	$(PY) -m pytest -n 2

.PHONY: demo
demo: synth terraformrc ## the main job end to end on the local sandbox (no AWS account needed)
	$(PY) -m sandbox.demo

.PHONY: bench
bench: venv terraformrc ## run the benchmarks in bench/ and print their results
	$(PY) bench/aws_calls_per_event.py
	$(PY) bench/inference_overhead.py
	$(PY) bench/synth_time.py
	$(PY) bench/demo_time.py
	$(PY) bench/lake_projection.py --partition-index
	$(PY) bench/dashboard_views.py --versions 1000

# `mlgov --json check > build/plans/check.json` (it reads the registry) gives the model moves their verdicts.
VERDICTS ?= build/plans/check.json

.PHONY: plan-summary
plan-summary: $(VENV)/.installed ## Markdown of every planned stack to build/plans/summary.md; exit 1 when blocked
	$(PY) scripts/plan_summary.py $(if $(wildcard $(VERDICTS)),--verdicts $(VERDICTS))

.PHONY: clean
clean: ## remove build output and the sandbox work folders (keeps the environments)
	rm -rf build .sandbox cdktf.out

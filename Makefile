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
ZIZMOR_VENV := .tools/zizmor
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

$(ZIZMOR_VENV)/.installed: requirements-zizmor.txt
	$(PYTHON_BOOT) -m venv $(ZIZMOR_VENV)
	$(ZIZMOR_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-zizmor.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(ZIZMOR_VENV)/.installed ## create the Python environments (project, checkov, zizmor)

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

.PHONY: lock
lock: $(VENV)/.installed terraformrc ## each stack's .terraform.lock.hcl for gitops.lock_platforms, from the local mirror (FROM=registry: the registry)
	@mirror="$${MLGOV_TF_PLUGIN_MIRROR:-$$(cat build/provider-mirror 2>/dev/null || true)}"; \
	$(PY) scripts/provider_lock.py $(dir $(wildcard terraform/*/main.tf.json)) $(if $(filter registry,$(FROM)),,$${mirror:+--fs-mirror "$$mirror"})

.PHONY: lint-workflows
lint-workflows: $(ZIZMOR_VENV)/.installed ## zizmor --offline (pedantic) on .github/ (workflows and the setup action); any finding fails
	$(ZIZMOR_VENV)/bin/zizmor --offline --no-progress --strict-collection --persona pedantic .github

.PHONY: mlgov-check
mlgov-check: $(VENV)/.installed ## mlgov check (needs AWS credentials); its JSON in build/plans/check.json gives make plan-summary its verdicts
	@mkdir -p build/plans
	$(PY) -m mlgov_cli --json check | tee build/plans/check.json

.PHONY: pipeline-roles
pipeline-roles: $(VENV)/.installed ## the pipeline's role ARNs and region from config (STACK=s adds its apply role; OUT=file appends them there)
	@$(PY) scripts/pipeline_roles.py $(if $(STACK),--stack $(STACK)) $(if $(OUT),--github-output "$(OUT)")

# terraform/bootstrap (docs/gitops.md): FIRST=1 on the very first run (the state bucket does not exist yet);
# SANDBOX=1 against the running sandbox at MLGOV_ENDPOINT_URL.
BOOTSTRAP_FLAGS = $(if $(FIRST),--first-run) $(if $(SANDBOX),--sandbox)

.PHONY: bootstrap-plan
bootstrap-plan: synth terraformrc ## plan terraform/bootstrap (state bucket, OIDC, pipeline roles) into a saved plan
	$(PY) scripts/bootstrap_cli.py plan $(BOOTSTRAP_FLAGS)

.PHONY: bootstrap-apply
bootstrap-apply: terraformrc ## apply exactly the saved plan of bootstrap-plan
	$(PY) scripts/bootstrap_cli.py apply $(BOOTSTRAP_FLAGS)

# make plan|apply|drift STACK=<stack> [SANDBOX=1]: the AWS path runs on the system Python (standard
# library only); SANDBOX=1 needs the project environment and a server (make sandbox-server).
STACK ?=
SANDBOX ?=
SANDBOX_PORT ?= 5055
STACK_PY = $(if $(filter 1,$(SANDBOX)),$(PY),$(PYTHON_BOOT))
STACK_RUN = $(STACK_PY) scripts/saved_plan_cli.py $(1) "$(STACK)" $(if $(filter 1,$(SANDBOX)),--sandbox)

.PHONY: plan
plan: terraformrc $(if $(filter 1,$(SANDBOX)),$(VENV)/.installed) ## saved plan of STACK in build/plans/STACK/ (tfplan, plan.json, tfplan.sha256, manifest.json)
	$(call STACK_RUN,plan)

.PHONY: apply
apply: terraformrc $(if $(filter 1,$(SANDBOX)),$(VENV)/.installed) ## apply only STACK's saved plan; refuses a missing, modified or stale one
	$(call STACK_RUN,apply)

.PHONY: drift
drift: terraformrc $(if $(filter 1,$(SANDBOX)),$(VENV)/.installed) ## refresh-only plan of STACK: exit 0 clean; build/drift/STACK.json says drift or error
	$(call STACK_RUN,drift)

.PHONY: sandbox-server
sandbox-server: $(VENV)/.installed ## a sandbox server on SANDBOX_PORT (5055) for SANDBOX=1, until Ctrl-C
	$(PY) -m sandbox.standing --port $(SANDBOX_PORT) --state-dir .sandbox/standing

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
	$(PY) bench/pr_plan_time.py
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

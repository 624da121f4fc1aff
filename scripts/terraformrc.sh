#!/usr/bin/env bash
# Write the Terraform CLI config the make targets use (build/terraformrc).
#
# Offline machines keep hashicorp/aws in a local filesystem mirror. Its location comes from
# MLGOV_TF_PLUGIN_MIRROR, or is discovered once by searching the filesystem for the pinned
# provider binary (cached in build/provider-mirror). Without a mirror the config is empty and
# Terraform downloads from the registry as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
version="$(python3 -c 'import json;print(json.load(open("terraform/governance/main.tf.json"))["terraform"]["required_providers"]["aws"]["version"])')"
mirror="${MLGOV_TF_PLUGIN_MIRROR:-}"
if [[ -z "$mirror" && -f build/provider-mirror ]]; then
  mirror="$(cat build/provider-mirror)"
fi
if [[ -z "$mirror" ]]; then
  binary="$(find / -xdev \( -path /proc -o -path /sys -o -path "$PWD" \) -prune -o \
    -path "*/registry.terraform.io/hashicorp/aws/${version}/*" -name "terraform-provider-aws_v${version}*" -print 2>/dev/null | head -n 1 || true)"
  if [[ -n "$binary" ]]; then
    mirror="${binary%/registry.terraform.io/*}"
  fi
  printf '%s' "$mirror" > build/provider-mirror
fi
if [[ -n "$mirror" ]]; then
  mkdir -p build/tf-plugin-cache
  cat > build/terraformrc <<RC
provider_installation {
  filesystem_mirror {
    path    = "${mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
plugin_cache_dir = "${PWD}/build/tf-plugin-cache"
RC
  echo "terraform: hashicorp/aws ${version} from the local mirror ${mirror}"
else
  echo "# no local provider mirror: Terraform downloads providers from the registry" > build/terraformrc
  echo "terraform: no local mirror found; providers come from the registry"
fi

#!/usr/bin/env bash
# Builds the plexbooks image with whichever container engine works here (`make image` runs this):
#   scripts/build-image.sh [IMAGE]        IMAGE defaults to $IMAGE, then plexbooks:local
# The base image is made locally first (scripts/container-base.sh) unless BUILD_FROM names one.
# The version label comes from pyproject.toml. When this host's pip uses another package index
# (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST or pip's config), its http(s) entries are
# handed to the build stage; local file:// indexes cannot be seen inside a build and are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:-${IMAGE:-plexbooks:local}}"
engine="$(scripts/container-engine.sh)"
base="${BUILD_FROM:-localhost/plexbooks-base:bookworm}"
[ -n "${BUILD_FROM:-}" ] || scripts/container-base.sh "$engine" "$base"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
args=(--build-arg "BUILD_FROM=$base" --build-arg "VERSION=$version" --build-arg "REVISION=$revision")

pip_config="$(python3 -m pip config list 2>/dev/null || true)"   # one call: each costs a second or more
pip_setting() {  # $1 = environment variable, $2 = pip config key
  local value="${!1:-}"
  if [ -z "$value" ]; then
    value="$(printf '%s\n' "$pip_config" | sed -n "s/^[a-z:]*\.$2='\(.*\)'\$/\1/p" | head -n 1)"
  fi
  local kept=() entry
  for entry in $value; do
    case "$entry" in http://*|https://*) kept+=("$entry") ;; *) [ "$1" = PIP_TRUSTED_HOST ] && kept+=("$entry") ;; esac
  done
  [ ${#kept[@]} -eq 0 ] || args+=(--build-arg "$1=${kept[*]}")
}
pip_setting PIP_INDEX_URL index-url
pip_setting PIP_EXTRA_INDEX_URL extra-index-url
pip_setting PIP_TRUSTED_HOST trusted-host

echo "build-image: building $image (plexbooks $version) with $engine" >&2
if [ "$engine" = podman ]; then
  # --format docker keeps HEALTHCHECK (the OCI format has no field for it)
  podman build --pull=never --format docker --tag "$image" "${args[@]}" .
else
  docker build --tag "$image" "${args[@]}" .
fi

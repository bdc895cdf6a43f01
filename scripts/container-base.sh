#!/usr/bin/env bash
# Makes the Dockerfile's base image locally from Debian packages, for machines that reach Debian's
# archive but no registry of container images:
#   scripts/container-base.sh ENGINE [TAG]     (TAG defaults to localhost/plexbooks-base:bookworm)
# A minimal Debian bookworm (mmdebstrap --variant=minbase) with Python 3, venv, CA certificates and
# tini. The host's extra CA certificates (/usr/local/share/ca-certificates/*.crt) are added to this
# base only, so that pip inside the build trusts the same TLS interception the host does; the
# project's Dockerfile never sees them. Skipped when the tag exists (about a minute to make).
set -euo pipefail
engine="${1:?usage: container-base.sh ENGINE [TAG]}"
tag="${2:-localhost/plexbooks-base:bookworm}"
say() { echo "container-base: $*" >&2; }

# The recipe's own hash is part of a second tag, so a change of this script makes a new base.
recipe="$(sha256sum "$0" | cut -c1-12)"
if "$engine" image inspect "$tag-$recipe" >/dev/null 2>&1; then
  "$engine" tag "$tag-$recipe" "$tag"
  exit 0
fi
if ! command -v mmdebstrap >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then say "mmdebstrap is needed to make $tag (apt-get install mmdebstrap)"; exit 1; fi
  say "installing mmdebstrap (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends mmdebstrap >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=600 -qq update >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends mmdebstrap >/dev/null; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ca"
cp /usr/local/share/ca-certificates/*.crt "$work/ca/" 2>/dev/null || true
started=$(date +%s)
say "making $tag with mmdebstrap (about a minute)..."
# merged /usr by mmdebstrap's hook, not by the usrmerge package (which brings 46 MB of perl);
# no manuals, translations or docs but the copyright files
mmdebstrap --quiet --variant=minbase --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --include=python3,python3-venv,ca-certificates,tini \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook="cp $work/ca/. \"\$1/usr/local/share/ca-certificates/\" -r" \
  --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  bookworm "$work/base.tar"
"$engine" import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$work/base.tar" "$tag-$recipe" >/dev/null
"$engine" tag "$tag-$recipe" "$tag"
say "made $tag in $(( $(date +%s) - started )) s"

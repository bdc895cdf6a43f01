#!/usr/bin/env bash
# Starts scripts/build-image.sh IMAGE in the background, so the image builds (downloads, mostly)
# while `make test` lints and runs the other tests:
#   scripts/build-image-background.sh IMAGE DIR
# DIR/log gets the build's output and DIR/status its exit status once it is done; the container
# tests (PLEXBOOKS_TEST_IMAGE_BUILD=DIR) wait for it instead of building again. Where no container
# engine works, nothing is started (the container tests then skip with the reason).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:?usage: build-image-background.sh IMAGE DIR}"
dir="${2:?usage: build-image-background.sh IMAGE DIR}"
mkdir -p "$dir"
rm -f "$dir/status" "$dir/log"
scripts/container-engine.sh >/dev/null 2>&1 || exit 0
# the status file is written last (by rename), so a reader never sees half of it
nohup bash -c 'scripts/build-image.sh "$1" >"$2/log" 2>&1; echo $? >"$2/status.tmp"; mv "$2/status.tmp" "$2/status"' \
  build-image "$image" "$dir" </dev/null >/dev/null 2>&1 &
echo "build-image-background: building $image (log: $dir/log)" >&2

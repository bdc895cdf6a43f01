#!/usr/bin/env bash
# Prints the container engine that works on this machine ("podman" or "docker") and makes it work
# first: installs Debian's podman, runc and slirp4netns with apt-get when no engine is present,
# and writes a containers.conf drop-in that
#   - uses runc (crun fails on hosts whose cgroups are in hybrid v1/v2 mode), and
#   - caps the containers' open-files and process limits at this host's hard limits (podman's
#     defaults for root are higher than many hosts allow, and every container start then fails).
# CONTAINER_ENGINE=podman|docker picks one. Exit 1, with the reason on stderr, when none can run.
set -euo pipefail

say() { echo "container-engine: $*" >&2; }

works() {  # an engine "works" when it can talk to its storage or daemon
  case "$1" in
    docker) timeout 20 docker info >/dev/null 2>&1 ;;
    podman) timeout 60 podman info >/dev/null 2>&1 ;;
  esac
}

conf_dir() {
  if [ "$(id -u)" = 0 ]; then echo /etc/containers/containers.conf.d
  else echo "${XDG_CONFIG_HOME:-$HOME/.config}/containers/containers.conf.d"; fi
}

configure_podman() {
  local dir hard nproc runtime_line=""
  dir="$(conf_dir)"
  hard="$(ulimit -Hn)"; [ "$hard" = unlimited ] && hard=1048576
  # the process limit also stays within pid_max: podman's own limit is clamped to it
  nproc="$(ulimit -Hu)"; [ "$nproc" = unlimited ] && nproc=4194304
  local pid_max; pid_max="$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$nproc")"
  [ "$nproc" -gt "$pid_max" ] && nproc="$pid_max"
  command -v runc >/dev/null 2>&1 && runtime_line='runtime = "runc"'
  mkdir -p "$dir"
  local want
  want="$(printf '# written by plexbooks scripts/container-engine.sh\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n\n[engine]\n%s\n' \
    "$hard" "$hard" "$nproc" "$nproc" "$runtime_line")"
  if [ "$(cat "$dir/50-plexbooks.conf" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" >"$dir/50-plexbooks.conf"
    say "wrote $dir/50-plexbooks.conf (${runtime_line:-default runtime}, nofile=$hard, nproc=$nproc)"
  fi
}

install_podman() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "no container engine works here and podman cannot be installed (needs root and apt-get)"
    return 1
  fi
  say "installing podman, runc, slirp4netns (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  if ! "${apt[@]}" install -y --no-install-recommends podman runc slirp4netns uidmap >/dev/null 2>&1; then
    "${apt[@]}" update >/dev/null
    "${apt[@]}" install -y --no-install-recommends podman runc slirp4netns uidmap >/dev/null
  fi
}

choice="${CONTAINER_ENGINE:-}"
if [ -z "$choice" ] || [ "$choice" = docker ]; then
  if command -v docker >/dev/null 2>&1 && works docker; then echo docker; exit 0; fi
  if [ "$choice" = docker ]; then say "docker is not usable here (no daemon?)"; exit 1; fi
fi
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  install_podman || exit 1
fi
configure_podman
if works podman; then echo podman; exit 0; fi
say "podman is installed but 'podman info' fails:"
podman info 2>&1 | tail -5 >&2 || true
exit 1

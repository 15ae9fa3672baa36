#!/usr/bin/env bash
# Make sure the Debian packages that GROUP needs (run, test or ci; see system-packages.txt) are
# installed: the missing ones are installed with apt-get, as root directly or through sudo when
# it is available; otherwise it stops with one line naming them.
#
#   scripts/system-packages.sh run|test|ci          check, and install what is missing
#   scripts/system-packages.sh --check run|test|ci  check only: exit 1 naming what is missing
#   scripts/system-packages.sh --list run|test|ci   print the group's packages
#
# SYSTEM_PACKAGES_LIST names another list file (the tests use it).
set -euo pipefail

mode=install
case "${1:-}" in
  --check) mode=check; shift ;;
  --list) mode=list; shift ;;
esac
group="${1:-}"
case "$group" in
  run|test|ci) ;;
  *) echo "usage: $0 [--check|--list] run|test|ci" >&2; exit 2 ;;
esac
list="${SYSTEM_PACKAGES_LIST:-$(dirname "$0")/system-packages.txt}"

packages=()
while read -r line; do
  line="${line%%#*}"
  read -r -a words <<<"$line"
  [ ${#words[@]} -gt 1 ] || continue
  for g in "${words[@]:1}"; do
    if [ "$g" = "$group" ]; then packages+=("${words[0]}"); break; fi
  done
done <"$list"

if [ "$mode" = list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system packages: not a Debian system; make sure these (or their equivalents) are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$mode" = install ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo=(sudo)
  else
    sudo=none
  fi
  if [ "${sudo[*]:-}" != none ]; then
    echo "system packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    exit 0
  fi
fi
echo "system packages missing for '$group': ${missing[*]} (install them: sudo apt-get install ${missing[*]})" >&2
exit 1

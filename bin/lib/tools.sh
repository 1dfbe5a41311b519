# Sourced by bin/test and the benchmark scripts: installs the tools they need with apt-get.
#   ensure_tools NAME [command:package ...]
# checks the NAT lab's tools (lab/src/main/resources/dev/wgmesh/lab/tools.tsv, the one list the lab
# tests and the demo use too) and any extra command:package pairs, and installs the packages of
# those that are missing (as root; otherwise it says what to install and returns 1).
wgmesh_tools_file="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/lab/src/main/resources/dev/wgmesh/lab/tools.tsv"

ensure_tools() {
  local name=$1 cmd package
  shift
  local pairs=()
  while IFS=$'\t' read -r cmd package; do
    [[ -z $cmd || $cmd == \#* ]] && continue
    pairs+=("$cmd:$package")
  done <"$wgmesh_tools_file"
  pairs+=("$@")
  local missing=()
  for pair in "${pairs[@]}"; do
    cmd=${pair%%:*}
    package=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$cmd && ! -x /sbin/$cmd ]]; then
      [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) != 0 ]]; then
    echo "$name: missing ${missing[*]}: run as root (sudo $name), or install them: apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "$name: installing ${missing[*]}" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test constellation, so that `make test` works
# on a fresh machine. As root it installs what is missing; otherwise it prints the one command to run
# and fails, rather than prompting for a password in the middle of a build.
set -euo pipefail

packages=(cmake ninja-build ccache pkg-config libboost1.81-dev libcereal-dev libuv1-dev
          nlohmann-json3-dev libtomlplusplus-dev doctest-dev libssl-dev prometheus-cpp-dev
          systemd python3-yaml  # check the service unit and the Kubernetes example
          chromium              # the status page's test drives it headless
          libclang-rt-14-dev    # libFuzzer, for `make fuzz` (fuzz/CMakeLists.txt)
          clang-format-14)      # `make format`, and `make format-check` in CI

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
# A compiler from build-essential or a bare g++ both do; build-essential is what we install.
installed build-essential || installed g++ || missing+=(build-essential)
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
# A fresh image has no package lists; CI runs with no stdin, hence noninteractive.
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

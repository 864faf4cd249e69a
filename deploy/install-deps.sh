#!/usr/bin/env bash
# Installs every build, run and test dependency of mgw on Debian 12 (bookworm) with apt-get.
# Idempotent: packages already present are left alone, and apt is not asked at all when nothing
# is missing. Run as root, or with sudo available.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy file
  # dataplane
  libdpdk-dev dpdk dpdk-dev liburing-dev libsrtp2-dev libpcap-dev libnuma-dev
  # recorder
  libopus-dev libavcodec-dev libavformat-dev libavutil-dev ffmpeg
  # controlplane
  libboost1.81-dev libboost-json1.81-dev libcurl4-openssl-dev libssl-dev libsodium-dev libjwt-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql
  # shared
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  # tests, benchmarks, packaging
  libgtest-dev libgmock-dev libbenchmark-dev prometheus iproute2 iputils-ping procps curl
  wrk nginx-light systemd dpkg-dev fakeroot python3 socat gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

# Node.js with npm (test and documentation tools only): any installed build will do, such as
# NodeSource's, which bundles npm and conflicts with Debian's separate npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Services must not start while packages install (postgresql, nginx, prometheus): the tests
# start their own servers on loopback and temp dirs.
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
trap '[ $policy_created -eq 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

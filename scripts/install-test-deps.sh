#!/usr/bin/env bash
# Installs the operating-system tools the test suite uses, only when missing (idempotent).
# Today: setpriv and useradd (util-linux, passwd) for running the embedded Postgres as an
# unprivileged user. Later issues add openssh-server and chromium here.
set -euo pipefail
need=()
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
if [ "$(id -u)" = 0 ]; then command -v useradd >/dev/null 2>&1 || need+=(passwd); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "The tests need: ${need[*]}. Install them (sudo apt-get install ${need[*]}) and run npm test again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}"

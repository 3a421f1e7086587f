#!/usr/bin/env bash
# Installs the operating-system tools the test suite uses, only when missing (idempotent):
# - setpriv and useradd (util-linux, passwd): the embedded Postgres runs as an unprivileged user
# - sshd (openssh-server): SFTP backup repositories are tested against a real OpenSSH server
# - chromium: the browser tests drive Debian's Chromium with playwright-core
# - sqlmap: the injection test runs it against the sign-in and a handful of API routes
set -euo pipefail
need=()
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v sqlmap >/dev/null 2>&1 || need+=(sqlmap)
if [ "$(id -u)" = 0 ]; then command -v useradd >/dev/null 2>&1 || need+=(passwd); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "The tests need: ${need[*]}. Install them (sudo apt-get install ${need[*]}) and run npm test again." >&2
  exit 1
fi
echo "Installing test dependencies: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The tests start their own sshd on a loopback port; the system's ssh service stays off.
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Installs what `mailca start` needs on one machine with its embedded defaults, and
# nothing that is already there: redis-server (mailca starts its own under the data
# directory when REDIS_URL is unset) and swaks (to send a first mail). Safe to run again.
# Needs root or sudo when something is missing. Debian/Ubuntu (apt).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v swaks >/dev/null 2>&1 || missing+=(swaks)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-runtime: redis-server and swaks present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-runtime: missing ${missing[*]} and not root (no sudo either). Install them with apt-get as root, or run Redis yourself (docker compose up -d redis) and set REDIS_URL." >&2
    exit 1
  fi
fi
echo "install-runtime: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# the packaged service is not needed: mailca runs its own redis-server on a Unix socket

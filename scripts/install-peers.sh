#!/usr/bin/env bash
# Installs the real programs the tests check mailca against (Debian packages), and
# nothing that is already there. Safe to run again. Needs root or sudo when something
# is missing.
set -euo pipefail

# package:binary it provides
PEERS=(
  "openssl:openssl"
  "libnss3-tools:pk12util"
  "libnss3-tools:certutil"
  "gnutls-bin:certtool"
  "gpgsm:gpgsm"
  "gpgconf:gpgconf"
  "redis-server:redis-server"
  "dovecot-imapd:dovecot"
  "dovecot-imapd:doveadm"
  "swaks:swaks"
  "postfix:smtp-source"
  "postfix:smtp-sink"
  "chromium:chromium"
  "prometheus:promtool"
)

missing=()
for entry in "${PEERS[@]}"; do
  pkg=${entry%%:*}
  bin=${entry##*:}
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done

# swaks needs Net::SSLeay for --tls (STARTTLS tests)
perl -MNet::SSLeay -e1 2>/dev/null || missing+=("libnet-ssleay-perl")

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-peers: all test peers present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-peers: missing ${missing[*]} and not root (no sudo either); install them with apt-get as root" >&2
    exit 1
  fi
fi
echo "install-peers: installing ${missing[*]}"
# postfix only provides smtp-source/smtp-sink and a throwaway instance for the SMTP
# benchmark: install it unconfigured, so no mail system starts on this machine
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

perl -MNet::SSLeay -e1 2>/dev/null || { echo "install-peers: Net::SSLeay (libnet-ssleay-perl) still missing after install" >&2; exit 1; }
for entry in "${PEERS[@]}"; do
  bin=${entry##*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "install-peers: $bin still missing after install" >&2; exit 1; }
done

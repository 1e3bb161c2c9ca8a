#!/usr/bin/env bash
# shell.exec runs agents' commands under bubblewrap (bwrap) and refuses to run without it (unless
# LADDER_UNSANDBOXED_SHELL=1). Installs Debian's bubblewrap when bwrap is missing; needs root for
# apt-get, otherwise says what to run. prlimit comes with util-linux, which every Debian has.
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
  exit 0
fi
if [ "${LADDER_UNSANDBOXED_SHELL:-}" = "1" ]; then
  echo "WARNING: bwrap is missing and LADDER_UNSANDBOXED_SHELL=1: shell.exec will run commands WITHOUT A SANDBOX." >&2
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing bubblewrap (the sandbox of shell.exec)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  command -v bwrap >/dev/null 2>&1 && exit 0
fi
echo "shell.exec needs bubblewrap: apt-get install bubblewrap (as root)," >&2
echo "or set LADDER_UNSANDBOXED_SHELL=1 to run agents' commands unsandboxed (not for production)." >&2
exit 1

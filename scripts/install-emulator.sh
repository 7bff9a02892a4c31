#!/usr/bin/env bash
# Installs the AWS API emulator (moto in server mode) into a virtualenv inside the project.
# botocore must be 1.42.7 or newer: older releases break every CloudWatch call the JS SDK makes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MOTO_VENV:-.venv/moto}"
if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c 'import moto, botocore' 2>/dev/null; then
  echo "emulator: already installed in $venv"
  exit 0
fi
echo "emulator: creating $venv and installing moto[server] 5.2"
python3 -m venv "$venv"
# pip warns once per configured index or wheel folder that does not exist on this machine (a
# dozen or more lines that say nothing about the install): keep its output, show it only on failure.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.*' 'botocore>=1.42.7' >"$log" 2>&1; then
  cat "$log" >&2
  echo "emulator: pip install into $venv failed (its output is above); run this script again once that is fixed" >&2
  exit 1
fi
echo "emulator: installed $("$venv/bin/python" -c 'import moto, botocore; print("moto", moto.__version__, "with botocore", botocore.__version__)')"

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
"$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.*' 'botocore>=1.42.7'
echo "emulator: installed $("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)')"

#!/usr/bin/env bash
# Installs cfn-lint and the serverless rules for it (cfn-lint-serverless) into a virtualenv inside the
# project; test/integration/package.test.ts lints the packaged template with them. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CFN_LINT_VENV:-.venv/cfn-lint}"
if [ -x "$venv/bin/cfn-lint" ] && "$venv/bin/python" -c 'import cfn_lint_serverless' 2>/dev/null; then
  echo "cfn-lint: already installed in $venv"
  exit 0
fi
echo "cfn-lint: creating $venv and installing cfn-lint 1.x with cfn-lint-serverless"
python3 -m venv "$venv"
# As for the emulator: pip's warnings about index folders that do not exist here are noise on
# success; on failure its whole output is shown.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint>=1.58,<2' 'cfn-lint-serverless==0.3.*' >"$log" 2>&1; then
  cat "$log" >&2
  echo "cfn-lint: pip install into $venv failed (its output is above); run this script again once that is fixed" >&2
  exit 1
fi
echo "cfn-lint: installed $("$venv/bin/cfn-lint" --version)"

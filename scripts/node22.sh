# Source this file (`. scripts/node22.sh`) to run the project on Node.js 22 or newer: it keeps the
# machine's node when that is recent enough, and otherwise installs the npm registry's `node`
# package (the official Node.js 22 binaries) into .tools/node22 once and puts it first on PATH for
# this shell. npm itself is the machine's; it then runs on that Node too.
# Node 20 reached its end of life in April 2026, the AWS SDK's releases after early January 2027
# need Node 22, and aws-local-stepfunctions already does.
pgfo_node22() {
  local root major dir
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 22 ]; then
    echo "node22: using the machine's node $(node --version)"
    return 0
  fi
  dir="$root/.tools/node22"
  if [ ! -x "$dir/node_modules/node/bin/node" ]; then
    echo "node22: node $(node --version 2>/dev/null || echo 'missing') is too old; installing the npm package node@22 into .tools/node22"
    # npm may say the package's install script was not run: the binary is installed all the same
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dir" 'node@22' >/dev/null || {
      echo "node22: npm install node@22 failed" >&2
      return 1
    }
  fi
  export PATH="$dir/node_modules/node/bin:$PATH"
  echo "node22: using $(node --version) from .tools/node22"
}
pgfo_node22

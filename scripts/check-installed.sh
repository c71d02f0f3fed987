#!/usr/bin/env bash
# The package as a user installs it: npm pack, install the tarball into a new
# temporary project (dependencies from the npm registry, or npm's cache), and
# run examples/api.mjs there against `import ... from 'specinfer-ts'`, then
# an experiment file whose `plugins:` names examples/plugins/bigram.mjs
# (validated and run with the installed `specinfer`).
# The temporary project repeats this package's `overrides` (npm applies a
# package's overrides only where it is the root project).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball="$(cd "$here" && npm pack --silent --pack-destination "$tmp" | tail -n 1)"
node -e '
const [src, dst] = process.argv.slice(1);
const p = require(src);
require("fs").writeFileSync(dst, JSON.stringify({ name: "api-check", private: true, type: "module", overrides: p.overrides }, null, 2));
' "$here/package.json" "$tmp/package.json"
cd "$tmp"
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefer-offline --no-audit --no-fund --loglevel=error "./$tarball" >/dev/null
cp "$here/examples/api.mjs" .
node api.mjs
cp "$here/examples/plugins/bigram.mjs" .
printf '%s\n' 'plugins: [./bigram.mjs]' 'target: stories260K' 'speculator: {kind: bigram}' 'workload: story-openings' \
  'promptsPerWorkload: 1' 'maxTokens: 8' 'warmupTokens: 0' > plugin.yaml
npx specinfer validate plugin.yaml
npx specinfer run plugin.yaml --out plugin-run >/dev/null
grep -q ',bigram,' plugin-run/summary.csv

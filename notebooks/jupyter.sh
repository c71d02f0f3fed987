#!/usr/bin/env bash
# The notebooks' one command (npm run notebooks / npm run notebooks:execute).
#   bash notebooks/jupyter.sh              opens Jupyter on notebooks/ with the tslab (TypeScript) kernel
#   bash notebooks/jupyter.sh --execute    runs every notebook headless; exit 1 if one raises
# Needs Debian's Jupyter (jupyter-notebook, jupyter-nbconvert, jupyter-client, python3-nbconvert);
# as root it installs them with apt-get when missing, otherwise it prints the command to run.
# The kernel is registered under node_modules/.cache/jupyter (JUPYTER_PATH), never in ~/.local.
# SPECINFER_RESULTS names the results folder the notebooks read (default: test/fixtures/run-small).
set -uo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
APT_PACKAGES="jupyter-notebook jupyter-nbconvert jupyter-client python3-nbconvert"
mode=open
case "${1:-}" in
  --execute) mode=execute ;;
  "") ;;
  *) echo "usage: bash notebooks/jupyter.sh [--execute]" >&2; exit 2 ;;
esac

have_jupyter() {
  [ -x "$PY" ] && "$PY" -c 'import IPython, jupyter_client, nbconvert, notebook' >/dev/null 2>&1
}

if ! have_jupyter; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing Jupyter from Debian: $APT_PACKAGES" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PACKAGES; } >&2 \
      || { echo "notebooks: apt-get install of $APT_PACKAGES failed (see above)" >&2; exit 1; }
  else
    echo "notebooks: Jupyter is not installed for $PY (IPython, jupyter_client, nbconvert, notebook);" >&2
    echo "  on Debian or Ubuntu: sudo apt-get install $APT_PACKAGES" >&2
    exit 1
  fi
fi

[ -f dist/src/report/notebook.js ] || npx tsc -p tsconfig.json || { echo "notebooks: the TypeScript build failed" >&2; exit 1; }

prefix="$PWD/node_modules/.cache/jupyter"
export JUPYTER_PATH="$prefix/share/jupyter" PYDEVD_DISABLE_FILE_VALIDATION=1
node_modules/.bin/tslab install --python="$PY" --binary="$PWD/node_modules/.bin/tslab" --prefix "$prefix" >/dev/null \
  || { echo "notebooks: registering the tslab kernel failed" >&2; exit 1; }

if [ "$mode" = open ]; then
  exec "$PY" -m notebook notebooks/
fi

export SPECINFER_RESULTS="${SPECINFER_RESULTS:-$PWD/test/fixtures/run-small}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
for nb in notebooks/*.ipynb; do
  [ -e "$nb" ] || continue
  start=$SECONDS
  if "$PY" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 --output-dir "$out/ok" "$nb" >"$out/log" 2>&1; then
    echo "notebook $nb: ok ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    tail -n 15 "$out/log"
    # tslab reports a cell's error on stderr, not in the error reply: run again keeping outputs, show them.
    "$PY" -m nbconvert --to notebook --execute --allow-errors --output-dir "$out/failed" "$nb" >/dev/null 2>&1
    "$PY" -c 'import json, sys
for c in json.load(open(sys.argv[1]))["cells"]:
    for o in c.get("outputs", []):
        if o.get("name") == "stderr": print("".join(o["text"]))' "$out/failed/$(basename "$nb")" 2>/dev/null | tail -n 40
    echo "notebook $nb: FAILED"
    failed=$((failed + 1))
  fi
done
echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

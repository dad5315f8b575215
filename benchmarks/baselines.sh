#!/usr/bin/env bash
# Builds the baseline venv (clkhash + anonlink from PyPI) used by benchmarks/dice_kernel.py, then
# runs the Dice kernel benchmark.  Extra arguments go to dice_kernel.py, e.g.:
#   benchmarks/baselines.sh --sizes 5000 --repeats 3
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BASE=benchmarks/.venv-baselines
if [ ! -f "$BASE/.installed" ]; then
    "$PYTHON" -m venv "$BASE"
    echo '*' > "$BASE/.gitignore"   # keep the baseline venv out of git
    "$BASE/bin/pip" install --quiet --upgrade pip
    # numpy: the worker reads the filters from an .npz file
    "$BASE/bin/pip" install --quiet clkhash anonlink numpy
    touch "$BASE/.installed"
fi
"$BASE/bin/python" -c "import anonlink, clkhash; print('# baseline: anonlink', anonlink.__version__, '/ clkhash', clkhash.__version__)"
[ -x .venv/bin/python ] || make install
exec .venv/bin/python benchmarks/dice_kernel.py --baseline-python "$BASE/bin/python" "$@"

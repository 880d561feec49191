#!/usr/bin/env bash
# The healthy-run suite, measured: every demo model (depth 10, 6 and 4 hidden ReLU layers of 64 with He
# initialisation, on the demo's spirals, batch 64) trained with settings that work (SGD at 0.1, momentum
# and Adam at their usual rates), for the demo's step budgets, over several seeds; then the demo's broken
# runs. Prints one line per run with its warnings and errors, and the counts.
#   scripts/healthy-suite.sh [OUT] [SEEDS...]     (default: out/healthy-suite, seeds 7 1 2 3 4)
# Uses the release build: swift build -c release --product gradlab.
set -euo pipefail
out=${1:-out/healthy-suite}; shift || true
seeds=("${@:-7 1 2 3 4}"); seeds=(${seeds[@]})
bin="$(swift build -c release --show-bin-path)/gradlab"
mkdir -p "$out"
healthy=0; flagged=0
for seed in "${seeds[@]}"; do
  for model in "a 10 600" "b 6 1000" "c 4 1000"; do
    read -r id depth steps <<<"$model"
    for opt in "sgd --lr 0.1" "momentum" "adam"; do
      name="healthy-$id-${opt%% *}-seed$seed"
      "$bin" train --dataset spirals --examples 1000 --batch 64 --seed "$seed" --depth "$depth" --width 64 \
        --activation relu --init he-normal --optimizer $opt --steps "$steps" --record-every 1 \
        --out "$out/$name" --force --quiet >/dev/null
      warnings=$("$bin" inspect "$out/$name" | grep -E '^\s+\[(warning|error)\]' | sed -E 's/^\s+//' | cut -c1-60 || true)
      if [ -z "$warnings" ]; then healthy=$((healthy + 1)); echo "healthy  $name";
      else flagged=$((flagged + 1)); echo "FLAGGED  $name: $(echo "$warnings" | tr '\n' ';')"; fi
    done
  done
done
echo "healthy suite: $healthy of $((healthy + flagged)) runs raise no warning, $flagged raise one"
demo="$out/demo"
"$bin" demo --out "$demo" --no-run-reports >/dev/null
own=0; broken=0
for pair in "a-sigmoid-classic vanishing" "b-lr2-no-clipping exploding|nonfinite"; do
  read -r run kinds <<<"$pair"
  broken=$((broken + 1))
  if "$bin" inspect "$demo/runs/$run" | grep -Eq "^\s+\[(warning|error)\] ($kinds)"; then own=$((own + 1)); echo "raises   $run: $kinds";
  else echo "MISSING  $run: $kinds"; fi
done
echo "broken runs: $own of $broken raise their own finding"

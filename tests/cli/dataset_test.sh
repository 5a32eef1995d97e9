#!/usr/bin/env bash
# usbpo train --save-dataset / --init-dataset end to end: a run's real
# transitions become a dataset file, an MBPO run starts from it (exploration
# shortened by the dataset's size, model fitted at once), its resume stays bit-exact, and foreign or
# damaged files are refused.
# usage: dataset_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
small=(--rollout-batch 1000 --model-max-epochs 20 --hidden 32 --model-hidden 32)

"$usbpo" train --env pendulum --algo sac --steps 1200 --out logged --save-dataset logged.usbpo-data > logged.out 2>&1 \
  || { cat logged.out; fail "the recording run failed"; }
grep -q "dataset: logged.usbpo-data (1200 real transitions)" logged.out || { cat logged.out; fail "no dataset written"; }

"$usbpo" train --env pendulum --algo mbpo --steps 600 --out straight --init-dataset logged.usbpo-data "${small[@]}" \
  > straight.out 2>&1 || { cat straight.out; fail "training from the dataset failed"; }
grep -q "1200 real transitions from logged.usbpo-data, model fitted to them" straight.out \
  || { cat straight.out; fail "the dataset was not loaded"; }

# Exploration is shortened by the logged transitions: of 1500 random steps, 1200
# are in the dataset, so the policy acts and model rounds start from env step 300.
"$usbpo" train --env pendulum --algo mbpo --steps 400 --start-steps 1500 --out shortened \
  --init-dataset logged.usbpo-data "${small[@]}" > shortened.out 2>&1 || { cat shortened.out; fail "the shortened run failed"; }
first_round=$(awk -F, 'NR==1 {for (i = 1; i <= NF; ++i) if ($i == "model_holdout_mse") c = i; next}
                       c && $c != "" {print $1; exit}' shortened/log.csv)
[ "$first_round" = 300 ] || fail "exploration not shortened by the dataset: first model round at '$first_round', not 300"

"$usbpo" train --env pendulum --algo mbpo --steps 300 --out resumed --init-dataset logged.usbpo-data "${small[@]}" \
  > first.out 2>&1 || { cat first.out; fail "the first half failed"; }
"$usbpo" train --resume resumed --steps 600 > second.out 2>&1 || { cat second.out; fail "resume failed"; }
grep -q "real transitions from" second.out && fail "a resume must not load the dataset again"
cmp straight/policy.usbpo resumed/policy.usbpo || fail "the resumed run differs from the straight one"

# A policy file, a truncated dataset and a dataset of another task are refused with a reason.
expect_refused() {  # NAME WORDS ARGS...
  local name="$1" words="$2"
  shift 2
  if "$usbpo" train --steps 10 --out "refused-$name" "$@" > "$name.out" 2>&1; then fail "$name was accepted"; fi
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
}
expect_refused foreign "identifier is not USBD" --env pendulum --init-dataset straight/policy.usbpo
head -c 2000 logged.usbpo-data > truncated.usbpo-data
expect_refused truncated "truncated or corrupt" --env pendulum --init-dataset truncated.usbpo-data
expect_refused missing "cannot" --env pendulum --init-dataset no-such-file
echo "ok: dataset saved, loaded, resumed bit for bit, bad files refused"

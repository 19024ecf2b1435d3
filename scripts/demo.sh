#!/usr/bin/env bash
# `make demo`: the main job against the embedded emulator, from a clean emulated cloud.
# plan → apply --wait --smoke → plan again (nothing to do) → status → schedule preview.
# HFLEET_DEMO_NOW=ISO-8601 (optional) runs it at that instant (`--now` to every command that reads
# the clock), so a test can prove it passes at night, on a weekend or a holiday, not only now.
# HFLEET_DEMO_DIR (default .hfleet/demo) is where its emulated cloud lives; it is emptied first.
set -uo pipefail
cd "$(dirname "$0")/.."
HFLEET="${HFLEET:-.venv/bin/hfleet}"
export HFLEET_STATE_DIR="${HFLEET_DEMO_DIR:-.hfleet/demo}"
rm -rf "$HFLEET_STATE_DIR"
# The example specs reference secrets by name; the demo provides throwaway values.
export CHAT_LLM_HF_TOKEN="demo-token-not-a-secret"
export RERANKER_REGISTRY_PASSWORD="demo-registry-password"
run() { echo; echo "\$ hfleet $*"; "$HFLEET" --emulator "$HFLEET_STATE_DIR/emulator.db" --token hf_emulator --log-format console -q "$@"; }
# One instant for every command: read the clock once, so a schedule edge (08:00, 19:00 in Paris)
# passing between the apply and the plan after it can never fail the demo.
NOW=(--now "${HFLEET_DEMO_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}")

run validate specs || exit 1
run plan specs "${NOW[@]}"; code=$?
[ "$code" -eq 2 ] || { echo "expected plan to exit 2 (changes pending), got $code"; exit 1; }
run apply specs "${NOW[@]}" --yes --wait --timeout 2m --smoke || exit 1
run plan specs "${NOW[@]}" || { echo "expected nothing to do after apply"; exit 1; }
run status specs "${NOW[@]}" || exit 1
run schedule specs "${NOW[@]}" --days 7 || exit 1
echo
echo "Demo done. The emulated cloud is in $HFLEET_STATE_DIR/emulator.db; try:"
echo "  .venv/bin/hfleet --emulator $HFLEET_STATE_DIR/emulator.db --token hf_emulator status specs"

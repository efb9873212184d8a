#!/usr/bin/env bash
# Fuzzes every target (or the ones named) for SECONDS each (default 20) with cargo-fuzz on the
# nightly toolchain: a short, bounded run for CI or before a commit; long runs take the same
# arguments (`fuzz/run-short.sh 1800`). Needs `cargo install cargo-fuzz` and `rustup toolchain
# install nightly`; the first build of DataFusion with coverage takes 30-40 minutes on 2 cores.
#
#   fuzz/run-short.sh [SECONDS] [TARGET...]
#
# Environment: JOBS targets at a time (default 1), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT seconds per
# input (10), CARGO_TARGET_DIR (default ~/.cache/whalewatch-fuzz-target, apart from the stable
# builds'), CARGO_BUILD_JOBS for the build.
# Each target reads fuzz/seeds/<target>/ and tests/fuzz/regressions/<target>/ and grows
# fuzz/corpus/<target>/; its log is fuzz/logs/<target>.log, a crash lands in
# fuzz/artifacts/<target>/. Exits 1 if any target crashed (minimise it with
# `cargo +nightly fuzz tmin -O -a -s none TARGET fuzz/artifacts/TARGET/crash-…`, add it under
# tests/fuzz/regressions/TARGET/ and see tests/fuzz/RESULTS.md).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/whalewatch-fuzz-target}"
jobs="${JOBS:-1}"
flags=(-O -a -s none)
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build "${flags[@]}" || exit 2
mkdir -p fuzz/logs
run_one() {
    local target="$1"
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    local regressions=()
    [ -d "tests/fuzz/regressions/$target" ] && regressions=("tests/fuzz/regressions/$target")
    cargo +nightly fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" \
        "${regressions[@]}" -- -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 >"fuzz/logs/$target.log" 2>&1
    local status=$?
    local last
    last=$(grep -E '^#[0-9]+' "fuzz/logs/$target.log" | tail -n 1)
    if [ $status -eq 0 ]; then
        echo "ok     $target: $last"
    else
        echo "CRASH  $target (exit $status): see fuzz/logs/$target.log and fuzz/artifacts/$target/"
    fi
    return $status
}
failed=0
running=0
for target in "${targets[@]}"; do
    run_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
exit $failed

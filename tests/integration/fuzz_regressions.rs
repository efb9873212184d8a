//! Replays every committed fuzz seed (fuzz/seeds/<target>/) and every input a fuzz run found
//! (tests/fuzz/regressions/<target>/) through the fuzz targets' own harness (fuzz/harness.rs),
//! on the stable toolchain: a parser that panics, overflows its stack or aborts on any of them
//! fails this test. The fuzzing itself (nightly, cargo-fuzz) is fuzz/run-short.sh; its results
//! are tests/fuzz/RESULTS.md.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/harness.rs"]
mod harness;

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs `harness` on `input` on a thread of libFuzzer's stack size's order (8 MiB is the main
/// thread's; test threads get 2 MiB), naming the input when it panics.
fn replay(target: &str, harness: fn(&[u8]), input: &Path) {
    let bytes = std::fs::read(input).unwrap();
    let outcome = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || harness(&bytes))
        .unwrap()
        .join();
    assert!(
        outcome.is_ok(),
        "fuzz target {target} panics on {}",
        input.display()
    );
}

#[test]
fn every_fuzz_seed_and_regression_input_is_read_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = 0;
    for (target, harness) in harness::TARGETS {
        let target_seeds = inputs(&root.join("fuzz/seeds").join(target));
        assert!(
            !target_seeds.is_empty(),
            "fuzz target {target} has no seeds in fuzz/seeds/{target}/"
        );
        for input in target_seeds
            .iter()
            .chain(&inputs(&root.join("tests/fuzz/regressions").join(target)))
        {
            replay(target, *harness, input);
            seeds += 1;
        }
    }
    assert!(seeds >= harness::TARGETS.len());
    // Every directory of inputs belongs to a target (a renamed target keeps its regressions).
    for dir in ["fuzz/seeds", "tests/fuzz/regressions"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                assert!(
                    harness::TARGETS.iter().any(|(t, _)| *t == name),
                    "{} is not a fuzz target's directory",
                    path.display()
                );
            }
        }
    }
}

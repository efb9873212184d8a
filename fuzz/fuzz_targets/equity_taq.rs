//! Fuzz target `equity_taq`: see `harness::equity_taq` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::equity_taq(data));

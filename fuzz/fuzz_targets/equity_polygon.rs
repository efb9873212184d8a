//! Fuzz target `equity_polygon`: see `harness::equity_polygon` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::equity_polygon(data));

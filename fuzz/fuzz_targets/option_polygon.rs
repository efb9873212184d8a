//! Fuzz target `option_polygon`: see `harness::option_polygon` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::option_polygon(data));

//! Fuzz target `option_chains`: see `harness::option_chains` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::option_chains(data));

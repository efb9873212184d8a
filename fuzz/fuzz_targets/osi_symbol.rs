//! Fuzz target `osi_symbol`: see `harness::osi_symbol` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::osi_symbol(data));

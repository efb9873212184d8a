//! Fuzz target `sec13f_sgml`: see `harness::sec13f_sgml` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::sec13f_sgml(data));

//! Fuzz target `sec13f_edgar_index`: see `harness::sec13f_edgar_index` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::sec13f_edgar_index(data));

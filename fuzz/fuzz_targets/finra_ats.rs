//! Fuzz target `finra_ats`: see `harness::finra_ats` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::finra_ats(data));

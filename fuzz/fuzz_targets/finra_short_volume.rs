//! Fuzz target `finra_short_volume`: see `harness::finra_short_volume` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::finra_short_volume(data));

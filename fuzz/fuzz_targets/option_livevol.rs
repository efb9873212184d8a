//! Fuzz target `option_livevol`: see `harness::option_livevol` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::option_livevol(data));

//! Fuzz target `query_file_header`: see `harness::query_file_header` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::query_file_header(data));

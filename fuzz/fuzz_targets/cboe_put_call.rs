//! Fuzz target `cboe_put_call`: see `harness::cboe_put_call` (fuzz/harness.rs) for the entry point it drives.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::cboe_put_call(data));

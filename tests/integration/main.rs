//! whalewatch's integration tests, in one binary (every extra test binary links DataFusion again).

mod accumulation;
mod cli;
mod commits;
mod contract;
mod equity_trades;
mod finra_ats;
mod finra_http;
mod fuzz_mutation;
mod fuzz_regressions;
mod inputs;
mod lake;
mod limits;
mod options;
mod repl;
mod sec_13f;
mod sec_13f_bulk;
mod slt;
mod support;

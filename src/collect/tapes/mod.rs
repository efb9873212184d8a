//! The tapes and what is counted from them: equity prints, option prints and quotes, option
//! chains (open interest), and CBOE's daily put/call volume.

pub mod cboe_put_call;
pub mod equity_trades;
pub mod option_chains;
pub mod option_trades;

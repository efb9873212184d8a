//! What the SQL functions share and are not themselves functions: the Black-Scholes model, the
//! ratio-of-sums aggregate state, the per-bar and running-window kernels, argument handling, the
//! New York session, and the tests' support and reference loops.

pub(crate) mod bar_kernel;
pub(crate) mod black_scholes;
pub(crate) mod money_flow_multiplier;
pub(crate) mod new_york_session;
pub(crate) mod quote_position;
#[cfg(test)]
mod random_bars_reference;
pub(crate) mod ratio_of_sums;
pub(crate) mod running_window;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod window_arguments;

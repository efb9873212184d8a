//! Reference data the signals join to: prices (bars), baskets, the security master, and the
//! classification of 13F managers.

pub mod bars;
pub mod baskets;
pub mod manager_types;
pub mod securities;

//! whalewatch: track institutional money with SQL.
//!
//! Data flows one way: [`collect`] fetches and checks feeds, [`lake`] lands them as
//! Hive-partitioned Parquet, [`catalog`] registers them with DataFusion, and [`sql`] runs
//! queries and query files and writes their results.

pub mod calendar;
pub mod catalog;
pub mod collect;
pub mod commands;
pub mod config;
pub mod error;
pub mod lake;
pub mod repl;
pub mod sql;

pub use error::{Error, Result};

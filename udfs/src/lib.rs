//! whalewatch's SQL functions for Apache DataFusion.
//!
//! One function per file at the top of the crate, each with its [`Documentation`] and its tests;
//! what they share is in `helpers`. The crate knows nothing of the lake: [`register_all`] adds
//! every function to any DataFusion [`FunctionRegistry`] (a `SessionState`, a `SessionContext`,
//! datafusion-cli's or a Ballista executor's), and [`register_all_in_session`] to a
//! `SessionContext` held by shared reference.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, Documentation, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

mod helpers;

pub mod ad_line;
pub mod aggressiveness;
pub mod bs_delta;
pub mod bs_gamma;
pub mod bs_price;
pub mod bs_rho;
pub mod bs_theta;
pub mod bs_vega;
pub mod chaikin_osc;
pub mod cmf;
pub mod dix;
pub mod dpi;
pub mod gex;
pub mod implied_vol;
pub mod implied_vol_reason;
pub mod mfi;
pub mod mfm;
pub mod obv;
pub mod option_sentiment;
pub mod parse_osi;
pub mod print_cluster;
pub mod put_call_premium_ratio;
pub mod put_call_ratio;
pub mod smart_money_flow;
pub mod smart_money_index;
pub mod trade_side;
pub mod typical_price;
pub mod vwap;
pub mod years_to_expiry;

/// Every aggregate function this crate provides.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(dpi::Dpi::default())),
        Arc::new(AggregateUDF::from(dix::Dix::default())),
        Arc::new(AggregateUDF::from(vwap::Vwap::default())),
        Arc::new(AggregateUDF::from(gex::Gex::default())),
        Arc::new(AggregateUDF::from(put_call_ratio::PutCallRatio::default())),
        Arc::new(AggregateUDF::from(
            put_call_premium_ratio::PutCallPremiumRatio::default(),
        )),
        Arc::new(AggregateUDF::from(
            smart_money_flow::SmartMoneyFlow::default(),
        )),
    ]
}

/// Every scalar function this crate provides.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(bs_price::BsPrice::default())),
        Arc::new(ScalarUDF::from(bs_delta::BsDelta::default())),
        Arc::new(ScalarUDF::from(bs_gamma::BsGamma::default())),
        Arc::new(ScalarUDF::from(bs_theta::BsTheta::default())),
        Arc::new(ScalarUDF::from(bs_vega::BsVega::default())),
        Arc::new(ScalarUDF::from(bs_rho::BsRho::default())),
        Arc::new(ScalarUDF::from(implied_vol::ImpliedVol::default())),
        Arc::new(ScalarUDF::from(
            implied_vol_reason::ImpliedVolReason::default(),
        )),
        Arc::new(ScalarUDF::from(mfm::Mfm::default())),
        Arc::new(ScalarUDF::from(trade_side::TradeSide::default())),
        Arc::new(ScalarUDF::from(parse_osi::ParseOsi::default())),
        Arc::new(ScalarUDF::from(aggressiveness::Aggressiveness::default())),
        Arc::new(ScalarUDF::from(option_sentiment::OptionSentiment::default())),
        Arc::new(ScalarUDF::from(typical_price::TypicalPrice::default())),
        Arc::new(ScalarUDF::from(years_to_expiry::YearsToExpiry::default())),
    ]
}

/// Every window function this crate provides.
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    vec![
        Arc::new(WindowUDF::from(ad_line::AdLine::default())),
        Arc::new(WindowUDF::from(chaikin_osc::ChaikinOsc::default())),
        Arc::new(WindowUDF::from(cmf::Cmf::default())),
        Arc::new(WindowUDF::from(mfi::Mfi::default())),
        Arc::new(WindowUDF::from(obv::Obv::default())),
        Arc::new(WindowUDF::from(print_cluster::PrintCluster::default())),
        Arc::new(WindowUDF::from(
            smart_money_index::SmartMoneyIndex::default(),
        )),
    ]
}

/// Registers every whalewatch function with `registry`, replacing any of the same name.
///
/// For a `SessionContext`, pass it mutably (it shares its state with its clones) or use
/// [`register_all_in_session`]; not `&mut ctx.state()`, which is a copy of the state.
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for function in aggregate_functions() {
        registry.register_udaf(function)?;
    }
    for function in window_functions() {
        registry.register_udwf(function)?;
    }
    for function in scalar_functions() {
        registry.register_udf(function)?;
    }
    Ok(())
}

/// Registers every whalewatch function with the state `ctx` shares with its clones, for a caller
/// holding the context by shared reference.
pub fn register_all_in_session(ctx: &SessionContext) -> Result<()> {
    register_all(&mut *ctx.state_ref().write())
}

/// One function's name, kind and documentation, for `whalewatch functions` and the README.
#[derive(Debug, Clone)]
pub struct FunctionDoc {
    pub name: String,
    pub kind: &'static str,
    pub documentation: Documentation,
}

/// The documentation of every function, sorted by name.
pub fn function_docs() -> Vec<FunctionDoc> {
    let mut docs: Vec<FunctionDoc> = aggregate_functions()
        .iter()
        .filter_map(|f| {
            f.documentation().map(|d| FunctionDoc {
                name: f.name().to_string(),
                kind: "aggregate",
                documentation: d.clone(),
            })
        })
        .collect();
    docs.extend(window_functions().iter().filter_map(|f| {
        f.documentation().map(|d| FunctionDoc {
            name: f.name().to_string(),
            kind: "window",
            documentation: d.clone(),
        })
    }));
    docs.extend(scalar_functions().iter().filter_map(|f| {
        f.documentation().map(|d| FunctionDoc {
            name: f.name().to_string(),
            kind: "scalar",
            documentation: d.clone(),
        })
    }));
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    docs
}

#[cfg(test)]
mod tests {
    use datafusion::execution::registry::MemoryFunctionRegistry;
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::execution::FunctionRegistry;
    use datafusion::prelude::SessionContext;

    use super::*;

    /// Whether `registry` holds the documented function `doc` under its kind.
    fn holds(registry: &dyn FunctionRegistry, doc: &FunctionDoc) -> bool {
        match doc.kind {
            "aggregate" => registry.udaf(&doc.name).is_ok(),
            "window" => registry.udwf(&doc.name).is_ok(),
            "scalar" => registry.udf(&doc.name).is_ok(),
            _ => false,
        }
    }

    #[test]
    fn every_documented_function_is_registered_in_any_registry() {
        let docs = function_docs();
        let functions =
            aggregate_functions().len() + window_functions().len() + scalar_functions().len();
        assert_eq!(docs.len(), functions, "every function has documentation");

        // A fresh session state, as a Ballista executor or datafusion-cli builds one.
        let mut state = SessionStateBuilder::new().build();
        register_all(&mut state).expect("register with a SessionState");
        // A bare in-memory registry, which knows nothing but what is registered.
        let mut memory = MemoryFunctionRegistry::new();
        register_all(&mut memory).expect("register with a MemoryFunctionRegistry");
        assert_eq!(
            memory.udfs().len() + memory.udafs().len() + memory.udwfs().len(),
            functions
        );
        // A SessionContext, through its shared state.
        let ctx = SessionContext::new();
        register_all_in_session(&ctx).expect("register with a SessionContext");

        for doc in &docs {
            for (registry, name) in [
                (&state as &dyn FunctionRegistry, "SessionState"),
                (&memory, "MemoryFunctionRegistry"),
                (&ctx, "SessionContext"),
            ] {
                assert!(
                    holds(registry, doc),
                    "{} ({}) in the {name}",
                    doc.name,
                    doc.kind
                );
            }
        }
    }

    #[tokio::test]
    async fn a_session_context_registered_through_its_state_runs_the_functions() {
        let ctx = SessionContext::new();
        register_all_in_session(&ctx).expect("register");
        let batches = ctx
            .sql("SELECT dpi(s, t) FROM (VALUES (40.0, 100.0), (10.0, 100.0)) AS v(s, t)")
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let dpi = batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Float64Array>()
            .expect("Float64")
            .value(0);
        assert_eq!(dpi, 0.25);
    }
}

//! The catalog: registers every dataset of the lake with DataFusion (an empty one too, so a
//! query on a fresh lake returns no rows rather than an error), declares each dataset's
//! partition column and file sort order, and adds the views derived from the datasets.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::{col, SessionContext};

mod holdings_asof;
mod print_clusters;
mod sorted_files;

pub use sorted_files::{SortedFilesTable, MAX_FILE_PARTITIONS};

use crate::error::Result;
use crate::lake::datasets::{self, DatasetSpec};
use crate::lake::{Lake, LakeStore};

/// A view the catalog defines over the datasets.
pub struct ViewSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub sql: fn() -> String,
}

/// Views over the datasets, registered after them.
pub const VIEWS: &[ViewSpec] = &[
    ViewSpec {
        name: "short_volume_consolidated",
        description: "One row per date and symbol: FINRA's consolidated (CNMS) figures where that file was \
ingested, otherwise the sum of the per-facility files. Use it for DPI and DIX so that a symbol is never \
counted twice.",
        sql: || include_str!("short_volume_consolidated.sql").to_string(),
    },
    ViewSpec {
        name: "options_flow",
        description: "The spec's options_flow: one row per option print with its premium, Greeks (from \
the fill's implied volatility and the spot at trade time), sweep, block and unusual flags, sentiment and \
aggressiveness, and the cluster, volume and open interest they were computed from. The definitions are \
in src/catalog/options_flow.sql and the README.",
        sql: || include_str!("options_flow.sql").to_string(),
    },
    ViewSpec {
        name: "dark_pool_trades",
        description: "The spec's dark_pool_trades: one row per off-exchange print of equity_trades \
(reported to FINRA's ADF or a TRF) with shares, price, total_value, the TRF as dark_pool_venue, the \
symbol's DIX that day (dix_value, when its short volume is in the lake), is_block_trade (a regular \
sale of 10,000+ shares or $200,000+, configurable) and pct_of_daily_volume (percent of the symbol's \
consolidated volume in equity_trades that day).",
        sql: || include_str!("dark_pool_trades.sql").to_string(),
    },
    ViewSpec {
        name: "institutional_holdings_13f",
        description: "The spec's institutional_holdings_13f: one row per manager, report period and \
position (CUSIP, put/call, shares or principal) with amendments applied as filed so far: shares, market \
value, the change against the manager's previous report, percent of portfolio and of shares outstanding \
(with the securities master), new and closed positions (a closed one shows 0 shares).",
        sql: || holdings_asof::with_effective_holdings(include_str!("institutional_holdings_13f.sql")),
    },
    ViewSpec {
        name: "whale_wallets",
        description: "The spec's whale_wallets: one row per 13F manager (CIK) with its type from \
manager_types, estimated AUM from its latest report, first seen and last activity, position changes, \
current holdings (JSON) and top positions. win_rate and avg_return are NULL until prices are joined.",
        sql: || holdings_asof::with_effective_holdings(include_str!("whale_wallets.sql")),
    },
];

/// The documentation of the table functions `register_lake` adds, sorted by name, for
/// `whalewatch functions` beside the functions of `whalewatch_udfs::function_docs`.
pub fn table_function_docs() -> Vec<whalewatch_udfs::FunctionDoc> {
    [
        ("holdings_asof", holdings_asof::documentation()),
        ("print_clusters", print_clusters::documentation()),
    ]
    .into_iter()
    .map(|(name, documentation)| whalewatch_udfs::FunctionDoc {
        name: name.to_string(),
        kind: "table",
        documentation,
    })
    .collect()
}

/// The table provider for one dataset: a Parquet listing of its directory through the lake's
/// object store, which lists the statement's pinned snapshot (so a dataset with nothing landed
/// yet is an empty table of the same schema, and fills as ingests publish).
pub fn table_for(store: &Arc<LakeStore>, spec: &DatasetSpec) -> Result<Arc<dyn TableProvider>> {
    let dir = store.root().join(spec.name);
    let ascending = |columns: Vec<&str>| -> Vec<_> {
        columns
            .into_iter()
            .map(|c| col(c).sort(true, false))
            .collect()
    };
    let mut options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    if !spec.sort_order.is_empty() {
        // One order only: when the planner merges files on one declared order it keeps claiming
        // every other, and a second one ([symbol, ts] beside [symbol, date, ts]) is true within
        // each file but not across merged files.
        options = options.with_file_sort_order(vec![ascending(declared_order(spec))]);
    }
    if let Some((column, data_type)) = &spec.partition {
        options = options.with_table_partition_cols(vec![(column.to_string(), data_type.clone())]);
    }
    let url = ListingTableUrl::parse(format!("{}/", dir.display()))?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(spec.file_schema());
    Ok(Arc::new(SortedFilesTable::new(
        ListingTable::try_new(config)?,
        Arc::clone(store),
        spec.name,
    )))
}

/// The lake store a session registered with [`register_lake`]: the SQL front pins a snapshot
/// in it before each statement and releases it after.
pub fn lake_store(ctx: &SessionContext) -> Option<Arc<LakeStore>> {
    ctx.state_ref().read().config().get_extension::<LakeStore>()
}

/// The order declared to the planner: the files' sort order with the partition column added. Any
/// place is true of every file (the partition value is constant within one), and a merge of
/// files on the whole declared key keeps it true across files. Where it goes decides which
/// windows need no sort: after the first key (`short_volume`: symbol, date, facility) for
/// `PARTITION BY symbol ORDER BY date`; last when the files are sorted by time (`bars`: symbol,
/// ts, date) for `PARTITION BY symbol ORDER BY ts`.
pub fn declared_order(spec: &DatasetSpec) -> Vec<&'static str> {
    let mut order = spec.sort_order.to_vec();
    if let Some((column, _)) = &spec.partition {
        let at = if order.contains(&"ts") {
            order.len()
        } else {
            order.len().min(1)
        };
        order.insert(at, column);
    }
    order
}

/// Registers every dataset and view of `lake` with `ctx`, replacing earlier registrations (which
/// also refreshes DataFusion's cached file listings).
pub async fn register_lake(ctx: &SessionContext, lake: &Lake) -> Result<()> {
    let store = Arc::new(LakeStore::new(lake)?);
    // Every `file://` path goes through it: lake paths list the pinned snapshot (a user's
    // `SELECT * FROM 'data/bars/'` too), other paths are the plain local file system.
    ctx.register_object_store(
        ObjectStoreUrl::local_filesystem().as_ref(),
        Arc::clone(&store) as Arc<dyn datafusion::object_store::ObjectStore>,
    );
    ctx.state_ref()
        .write()
        .config_mut()
        .set_extension(Arc::clone(&store));
    for spec in datasets::ALL {
        ctx.deregister_table(spec.name)?;
        ctx.register_table(spec.name, table_for(&store, spec)?)?;
    }
    ctx.register_udtf(
        "holdings_asof",
        Arc::new(holdings_asof::HoldingsAsOfFunction),
    );
    ctx.register_udtf(
        "print_clusters",
        Arc::new(print_clusters::PrintClustersFunction {
            trades: table_for(&store, &datasets::OPTION_TRADES)?,
        }),
    );
    for view in VIEWS {
        ctx.sql(&format!(
            "CREATE OR REPLACE VIEW {} AS {}",
            view.name,
            (view.sql)()
        ))
        .await?;
    }
    Ok(())
}

//! The money flow multiplier shared by the A/D line and its relatives.

/// ((close − low) − (high − close)) / (high − low): +1 at the high, −1 at the low; 0 when the bar
/// has no range (high = low), as StockCharts defines it.
pub(crate) fn money_flow_multiplier(high: f64, low: f64, close: f64) -> f64 {
    let range = high - low;
    if range == 0.0 {
        0.0
    } else {
        ((close - low) - (high - close)) / range
    }
}

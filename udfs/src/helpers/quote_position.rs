//! Where a trade printed against the quote, shared by `trade_side` and `aggressiveness`.

/// The trade's place in the quote: below the bid, at or nearer the bid, at the midpoint, at or
/// nearer the ask, above the ask. None for a quote that cannot be read (a NULL or non-finite
/// number, a bid above the ask, a non-positive ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    BelowBid,
    Bid,
    Mid,
    Ask,
    AboveAsk,
}

impl Side {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::BelowBid => "below_bid",
            Side::Bid => "bid",
            Side::Mid => "mid",
            Side::Ask => "ask",
            Side::AboveAsk => "above_ask",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Side> {
        [
            Side::BelowBid,
            Side::Bid,
            Side::Mid,
            Side::Ask,
            Side::AboveAsk,
        ]
        .into_iter()
        .find(|side| side.name().eq_ignore_ascii_case(text.trim()))
    }
}

/// A readable quote: finite, bid ≥ 0, ask > 0, bid ≤ ask (a locked market, bid = ask, is readable).
pub(crate) fn readable(price: f64, bid: f64, ask: f64) -> bool {
    [price, bid, ask].iter().all(|v| v.is_finite()) && bid >= 0.0 && ask > 0.0 && bid <= ask
}

/// Prices within one part in a billion (a billionth of a dollar below $1) are the same price:
/// quotes are in cents, and this absorbs the float noise of computed prices.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

pub(crate) fn side(price: f64, bid: f64, ask: f64) -> Option<Side> {
    if !readable(price, bid, ask) {
        return None;
    }
    let mid = 0.5 * (bid + ask);
    Some(if same(price, mid) {
        Side::Mid
    } else if same(price, bid) || (price > bid && price < mid) {
        Side::Bid
    } else if same(price, ask) || (price > mid && price < ask) {
        Side::Ask
    } else if price < bid {
        Side::BelowBid
    } else {
        Side::AboveAsk
    })
}

/// (price − bid) / (ask − bid), clamped to [0, 1]; a locked market scores 0.5 at the quote.
pub(crate) fn aggressiveness(price: f64, bid: f64, ask: f64) -> Option<f64> {
    if !readable(price, bid, ask) {
        return None;
    }
    Some(if same(bid, ask) {
        match side(price, bid, ask)? {
            Side::BelowBid => 0.0,
            Side::AboveAsk => 1.0,
            _ => 0.5,
        }
    } else if same(price, ask) {
        1.0
    } else if same(price, bid) {
        0.0
    } else {
        ((price - bid) / (ask - bid)).clamp(0.0, 1.0)
    })
}

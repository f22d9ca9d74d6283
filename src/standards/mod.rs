//! The standards' numbers, computed: the class of surface water by GB 3838-2002 and the air
//! quality index by HJ 633-2012. Pure functions over tables that carry their source; the API's
//! calculators (`/api/standards/…`) and the monitoring build on them.

pub mod aqi;
pub mod water;

/// A value refused by a calculator: which item, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// The item (its code), or the request's part.
    pub item: String,
    /// Why.
    pub detail: String,
}

impl Refused {
    fn new(item: &str, detail: impl Into<String>) -> Self {
        Self { item: item.to_string(), detail: detail.into() }
    }
}

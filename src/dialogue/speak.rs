//! Speaking numbers, amounts and dates in Spanish from recorded clips.

use chrono::NaiveDate;

/// Clip ids that speak an amount given in cents ("mil doscientos treinta y cuatro euros con
/// cincuenta y seis céntimos").
pub fn amount_clips(cents: i64) -> Vec<String> {
    // TODO: placeholder until Spanish speaking lands.
    let _ = cents;
    Vec::new()
}

/// Clip ids that speak a date ("el quince de enero").
pub fn date_clips(date: NaiveDate) -> Vec<String> {
    // TODO: placeholder until Spanish speaking lands.
    let _ = date;
    Vec::new()
}

/// Clip ids that speak a cardinal number.
pub fn number_clips(n: u64) -> Vec<String> {
    // TODO: placeholder until Spanish speaking lands.
    let _ = n;
    Vec::new()
}

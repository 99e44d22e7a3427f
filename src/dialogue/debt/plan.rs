//! Arithmetic of agreements: instalment schedules and promise dates.

use chrono::{Datelike, Duration, Months, NaiveDate};

use crate::dialogue::outcome::Instalment;

/// Splits `total_cents` into `count` monthly instalments, the first due on `first_due`.
///
/// Every instalment but the last is `total_cents / count` rounded down; the last absorbs
/// the remainder, so the amounts always add up to `total_cents`. Returns no instalments
/// when `count` is 0. Due dates past the end of a shorter month fall on its last day.
pub fn instalment_schedule(total_cents: i64, count: u32, first_due: NaiveDate) -> Vec<Instalment> {
    if count == 0 {
        return Vec::new();
    }
    let base = total_cents / i64::from(count);
    let last = total_cents - base * i64::from(count - 1);

    (0..count)
        .map(|i| Instalment {
            due_date: first_due
                .checked_add_months(Months::new(i))
                .unwrap_or(first_due),
            amount_cents: if i + 1 == count { last } else { base },
        })
        .collect()
}

/// Day the first instalment falls due: one month after the call.
pub fn first_instalment_date(today: NaiveDate) -> NaiveDate {
    today.checked_add_months(Months::new(1)).unwrap_or(today)
}

/// Resolves keyed `DDMM` digits to the next such date on or after `today`.
///
/// Returns `None` for anything but four digits naming a real day (a 29 February resolves to
/// the next leap year).
pub fn resolve_day_month(digits: &str, today: NaiveDate) -> Option<NaiveDate> {
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let day: u32 = digits[..2].parse().ok()?;
    let month: u32 = digits[2..].parse().ok()?;

    (0..=4).find_map(|years_ahead| {
        let date = NaiveDate::from_ymd_opt(today.year() + years_ahead, month, day)?;
        (date >= today).then_some(date)
    })
}

/// Reason a promise date is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseRejection {
    /// The date is before today.
    Past,
    /// The date is after the latest day the policy allows, given here.
    TooFar {
        /// Latest acceptable day.
        latest: NaiveDate,
    },
}

/// Checks a promise date: from today up to `max_days` days after it.
pub fn check_promise_date(
    date: NaiveDate,
    today: NaiveDate,
    max_days: u32,
) -> Result<(), PromiseRejection> {
    let latest = today + Duration::days(i64::from(max_days));
    if date < today {
        Err(PromiseRejection::Past)
    } else if date > latest {
        Err(PromiseRejection::TooFar { latest })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn schedule_sums_to_total() {
        // Deterministic sweep over many debts and every count from 1 to 24, standing in for a
        // property test without adding a property-testing crate.
        let first = day(2026, 1, 31);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let total = (state >> 33) as i64 % 10_000_000;
            for count in 1..=24 {
                let schedule = instalment_schedule(total, count, first);
                assert_eq!(schedule.len(), count as usize);
                let sum: i64 = schedule.iter().map(|i| i.amount_cents).sum();
                assert_eq!(sum, total, "total {total} in {count}");
                let base = schedule[0].amount_cents;
                assert!(
                    schedule[..schedule.len() - 1]
                        .iter()
                        .all(|i| i.amount_cents == base)
                );
                let last = schedule.last().unwrap().amount_cents;
                assert!(last >= base, "total {total} in {count}");
                assert!(last - base < i64::from(count), "total {total} in {count}");
            }
        }
    }

    #[test]
    fn schedule_dates_monthly() {
        let schedule = instalment_schedule(10_000, 3, day(2026, 1, 31));
        let dates: Vec<NaiveDate> = schedule.iter().map(|i| i.due_date).collect();
        assert_eq!(
            dates,
            vec![day(2026, 1, 31), day(2026, 2, 28), day(2026, 3, 31)]
        );
    }

    #[test]
    fn schedule_rounding_on_last() {
        let schedule = instalment_schedule(123_456, 6, day(2026, 7, 1));
        let amounts: Vec<i64> = schedule.iter().map(|i| i.amount_cents).collect();
        assert_eq!(
            amounts,
            vec![20_576, 20_576, 20_576, 20_576, 20_576, 20_576]
        );
        let schedule = instalment_schedule(8_710, 2, day(2026, 7, 1));
        let amounts: Vec<i64> = schedule.iter().map(|i| i.amount_cents).collect();
        assert_eq!(amounts, vec![4_355, 4_355]);
        let schedule = instalment_schedule(10_000, 3, day(2026, 7, 1));
        let amounts: Vec<i64> = schedule.iter().map(|i| i.amount_cents).collect();
        assert_eq!(amounts, vec![3_333, 3_333, 3_334]);
    }

    #[test]
    fn day_month_resolves_forward() {
        let today = day(2026, 6, 10);
        assert_eq!(resolve_day_month("1506", today), Some(day(2026, 6, 15)));
        assert_eq!(resolve_day_month("1006", today), Some(day(2026, 6, 10)));
        assert_eq!(resolve_day_month("0906", today), Some(day(2027, 6, 9)));
        assert_eq!(resolve_day_month("2902", today), Some(day(2028, 2, 29)));
    }

    #[test]
    fn day_month_rejects_bad_input() {
        let today = day(2026, 6, 10);
        for bad in ["3102", "0013", "1500", "123", "12345", "12a4", ""] {
            assert_eq!(resolve_day_month(bad, today), None, "{bad}");
        }
    }

    #[test]
    fn promise_date_limits() {
        let today = day(2026, 6, 10);
        assert_eq!(
            check_promise_date(day(2026, 6, 9), today, 30),
            Err(PromiseRejection::Past)
        );
        assert_eq!(check_promise_date(today, today, 30), Ok(()));
        assert_eq!(check_promise_date(day(2026, 7, 10), today, 30), Ok(()));
        assert_eq!(
            check_promise_date(day(2026, 7, 11), today, 30),
            Err(PromiseRejection::TooFar {
                latest: day(2026, 7, 10)
            })
        );
    }
}

//! The New York Stock Exchange's trading calendar: which weekdays it is closed, and why.
//!
//! The rules are written here rather than taken from a crate. `trading-calendar` 0.2.3 moves a
//! Saturday New Year's Day, Juneteenth or Christmas to the Monday after (the NYSE closes the
//! Friday before, and not at all for New Year's Day), starts Juneteenth in 2021 (the NYSE in
//! 2022) and has none of the unscheduled closures; `bdays` 0.1.4 has only the US federal
//! calendar (Columbus and Veterans Day, no Good Friday).
//!
//! The rules, as the NYSE publishes its holidays:
//! - New Year's Day, Juneteenth (from 2022), Independence Day and Christmas: on a Saturday the
//!   Friday before is closed, on a Sunday the Monday after; except that a Saturday New Year's Day
//!   closes nothing (the Friday before ends the year's accounting period, so the NYSE stays open).
//! - Martin Luther King, Jr. Day (third Monday of January, from 1998), Washington's Birthday (third
//!   Monday of February), Good Friday, Memorial Day (last Monday of May), Labor Day (first Monday
//!   of September), Thanksgiving Day (fourth Thursday of November).
//! - The unscheduled closures since 2000: September 11 2001 to the 14th, the national days of
//!   mourning for Presidents Reagan (2004-06-11), Ford (2007-01-02), George H. W. Bush (2018-12-05)
//!   and Carter (2025-01-09), and Hurricane Sandy (2012-10-29 and 30).
//!
//! [`covered_years`] are the years checked against exchange_calendars' XNYS calendar
//! (tests/fixtures/calendar/). Outside them the functions still answer by these rules, which
//! know nothing of the older holidays (election days, Lincoln's Birthday, the pre-1971 dates of
//! the Monday holidays) nor of closures still to come.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The years whose every weekday the tests check against exchange_calendars' XNYS calendar.
/// Outside them the functions answer by the same rules, unchecked.
pub fn covered_years() -> RangeInclusive<i32> {
    2000..=2030
}

/// The unscheduled closures since 2000, which no rule predicts.
const SPECIAL_CLOSURES: &[((i32, u32, u32), &str)] = &[
    ((2001, 9, 11), "September 11 attacks"),
    ((2001, 9, 12), "September 11 attacks"),
    ((2001, 9, 13), "September 11 attacks"),
    ((2001, 9, 14), "September 11 attacks"),
    (
        (2004, 6, 11),
        "National Day of Mourning for President Reagan",
    ),
    ((2007, 1, 2), "National Day of Mourning for President Ford"),
    ((2012, 10, 29), "Hurricane Sandy"),
    ((2012, 10, 30), "Hurricane Sandy"),
    (
        (2018, 12, 5),
        "National Day of Mourning for President George H. W. Bush",
    ),
    (
        (2025, 1, 9),
        "National Day of Mourning for President Carter",
    ),
];

/// The name of the holiday or closure that shuts the NYSE on `date`, a weekday; None on a
/// trading day and on weekends (a holiday falling on a weekend is observed on a weekday, or for
/// New Year's Day on a Saturday not at all).
pub fn nyse_holiday(date: NaiveDate) -> Option<&'static str> {
    if is_weekend(date) {
        return None;
    }
    let special = SPECIAL_CLOSURES
        .iter()
        .find(|((y, m, d), _)| (date.year(), date.month(), date.day()) == (*y, *m, *d))
        .map(|(_, name)| *name);
    special.or_else(|| {
        scheduled_holidays(date.year())
            .into_iter()
            .find(|(day, _)| *day == date)
            .map(|(_, name)| name)
    })
}

/// Whether the NYSE holds a session on `date`: a weekday that is no holiday or closure.
pub fn is_nyse_trading_day(date: NaiveDate) -> bool {
    !is_weekend(date) && nyse_holiday(date).is_none()
}

/// The NYSE's trading days from `from` to `to`, both included, in order; empty when `from` is
/// after `to`.
pub fn nyse_trading_days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|day| *day <= to)
        .filter(|day| is_nyse_trading_day(*day))
        .collect()
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The weekdays of `year` closed by a scheduled holiday, with the holiday's name as the NYSE
/// gives it. A holiday that cannot be dated (a year beyond chrono's range) is left out.
fn scheduled_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day);
    let new_years_day = fixed(1, 1).and_then(|day| match day.weekday() {
        // The Friday before is December 31, which the NYSE keeps open.
        Weekday::Sat => None,
        _ => observed(day),
    });
    let juneteenth = if year >= 2022 {
        fixed(6, 19).and_then(observed)
    } else {
        None
    };
    let martin_luther_king_day = if year >= 1998 {
        nth_weekday(year, 1, Weekday::Mon, 3)
    } else {
        None
    };
    [
        (new_years_day, "New Year's Day"),
        (martin_luther_king_day, "Martin Luther King, Jr. Day"),
        (
            nth_weekday(year, 2, Weekday::Mon, 3),
            "Washington's Birthday",
        ),
        (good_friday(year), "Good Friday"),
        (last_weekday(year, 5, Weekday::Mon), "Memorial Day"),
        (juneteenth, "Juneteenth National Independence Day"),
        (fixed(7, 4).and_then(observed), "Independence Day"),
        (nth_weekday(year, 9, Weekday::Mon, 1), "Labor Day"),
        (nth_weekday(year, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        (fixed(12, 25).and_then(observed), "Christmas Day"),
    ]
    .into_iter()
    .filter_map(|(day, name)| day.map(|day| (day, name)))
    .collect()
}

/// The weekday a fixed-date holiday closes: the Friday before a Saturday, the Monday after a
/// Sunday.
fn observed(day: NaiveDate) -> Option<NaiveDate> {
    match day.weekday() {
        Weekday::Sat => day.pred_opt(),
        Weekday::Sun => day.succ_opt(),
        _ => Some(day),
    }
}

/// The `n`th (from 1) `weekday` of `month`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u64) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let to_weekday =
        (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    first.checked_add_days(Days::new(u64::from(to_weekday) + 7 * n.checked_sub(1)?))
}

/// The last `weekday` of `month`.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    let last = NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(Days::new(u64::from(back)))
}

/// Two days before Easter Sunday (Gregorian; the anonymous algorithm of Meeus, Jones and Butcher).
fn good_friday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    let easter =
        NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?;
    easter.checked_sub_days(Days::new(2))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
    }

    /// tests/fixtures/calendar/nyse_closed_weekdays_2000_2030.csv: each weekday exchange_calendars
    /// has no XNYS session on, with its name for the holiday (empty for its ad hoc closures).
    /// Read from the environment cargo gives a running test first: a test binary reused from a
    /// build of another checkout (one shared target directory) must read this checkout's file.
    fn exchange_calendars_closed_weekdays() -> BTreeMap<NaiveDate, String> {
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let path = crate_dir.join("tests/fixtures/calendar/nyse_closed_weekdays_2000_2030.csv");
        let text = std::fs::read_to_string(&path).expect("the exchange_calendars fixture");
        text.lines()
            .skip(1)
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (day, name) = line.split_once(',').expect("date,name");
                (date(day), name.to_string())
            })
            .collect()
    }

    /// exchange_calendars' name for each of our holidays.
    fn exchange_calendars_name(ours: &str) -> &'static str {
        match ours {
            "New Year's Day" => "New Year's Day",
            "Martin Luther King, Jr. Day" => "Dr. Martin Luther King Jr. Day",
            "Washington's Birthday" => "President's Day",
            "Good Friday" => "Good Friday",
            "Memorial Day" => "Memorial Day",
            "Juneteenth National Independence Day" => "Juneteenth National Independence Day",
            "Independence Day" => "July 4th",
            "Labor Day" => "Labor Day",
            "Thanksgiving Day" => "Thanksgiving",
            "Christmas Day" => "Christmas",
            // Its ad hoc closures have no name.
            _ => "",
        }
    }

    #[test]
    fn every_weekday_of_the_covered_years_matches_exchange_calendars() {
        let closed = exchange_calendars_closed_weekdays();
        let first = NaiveDate::from_ymd_opt(*covered_years().start(), 1, 1).expect("a year");
        let last = NaiveDate::from_ymd_opt(*covered_years().end(), 12, 31).expect("a year");
        assert_eq!(closed.keys().next().map(|d| d.year()), Some(first.year()));
        assert_eq!(closed.keys().last().map(|d| d.year()), Some(last.year()));
        let mut disagreements = Vec::new();
        let mut weekdays = 0;
        for day in first.iter_days().take_while(|d| *d <= last) {
            if is_weekend(day) {
                assert_eq!(nyse_holiday(day), None, "{day}");
                assert!(!is_nyse_trading_day(day), "{day}");
                continue;
            }
            weekdays += 1;
            let theirs = closed.get(&day).map(String::as_str);
            let ours = nyse_holiday(day);
            assert_eq!(is_nyse_trading_day(day), ours.is_none(), "{day}");
            let agrees = match (ours, theirs) {
                (None, None) => true,
                (Some(ours), Some(theirs)) => exchange_calendars_name(ours) == theirs,
                _ => false,
            };
            if !agrees {
                disagreements.push(format!(
                    "{day}: ours {ours:?}, exchange_calendars {theirs:?}"
                ));
            }
        }
        assert!(weekdays > 8000, "{weekdays} weekdays");
        // Both directions: every closed day of theirs is a weekday we looked at.
        assert!(closed.keys().all(|day| !is_weekend(*day)));
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }

    #[test]
    fn observance_rules_match_the_nyse_published_holidays() {
        for (day, name) in [
            // Juneteenth from 2022: a Sunday in 2022 (the Monday closes), a Saturday in 2027.
            ("2022-06-20", "Juneteenth National Independence Day"),
            ("2027-06-18", "Juneteenth National Independence Day"),
            // Christmas and Independence Day on a Saturday: the Friday before.
            ("2021-12-24", "Christmas Day"),
            ("2026-07-03", "Independence Day"),
            // New Year's Day on a Sunday: the Monday after.
            ("2023-01-02", "New Year's Day"),
            ("2024-03-29", "Good Friday"),
            ("2025-04-18", "Good Friday"),
            ("2024-01-15", "Martin Luther King, Jr. Day"),
            ("2024-02-19", "Washington's Birthday"),
            ("2024-05-27", "Memorial Day"),
            ("2024-09-02", "Labor Day"),
            ("2024-11-28", "Thanksgiving Day"),
            ("2012-10-29", "Hurricane Sandy"),
            (
                "2025-01-09",
                "National Day of Mourning for President Carter",
            ),
        ] {
            assert_eq!(nyse_holiday(date(day)), Some(name), "{day}");
            assert!(!is_nyse_trading_day(date(day)), "{day}");
        }
        // New Year's Day 2022 was a Saturday: December 31 2021 and January 3 2022 traded.
        // Juneteenth 2021 (observed federally on Friday the 18th) was before the NYSE's first.
        for open in ["2021-12-31", "2022-01-03", "2021-06-18", "2027-12-31"] {
            assert!(is_nyse_trading_day(date(open)), "{open}");
        }
        assert_eq!(nyse_holiday(date("2026-07-04")), None, "a Saturday");
    }

    #[test]
    fn trading_days_count_the_sessions_of_a_year() {
        // The NYSE held 250 sessions in 2023 and 252 in 2024.
        assert_eq!(
            nyse_trading_days(date("2023-01-01"), date("2023-12-31")).len(),
            250
        );
        let year_2024 = nyse_trading_days(date("2024-01-01"), date("2024-12-31"));
        assert_eq!(year_2024.len(), 252);
        assert_eq!(year_2024.first(), Some(&date("2024-01-02")));
        assert_eq!(year_2024.last(), Some(&date("2024-12-31")));
        assert!(nyse_trading_days(date("2024-12-31"), date("2024-01-01")).is_empty());
        assert_eq!(
            nyse_trading_days(date("2024-07-03"), date("2024-07-05")),
            vec![date("2024-07-03"), date("2024-07-05")]
        );
    }

    #[test]
    fn outside_the_covered_years_the_rules_still_answer() {
        assert!(!covered_years().contains(&2040));
        // 2040-01-01 is a Sunday, Good Friday 2040 is March 30.
        assert_eq!(nyse_holiday(date("2040-01-02")), Some("New Year's Day"));
        assert_eq!(nyse_holiday(date("2040-03-30")), Some("Good Friday"));
        // Before 1998 the NYSE did not close for Martin Luther King, Jr. Day.
        assert!(is_nyse_trading_day(date("1997-01-20")));
    }
}

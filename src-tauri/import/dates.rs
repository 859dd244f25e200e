//! Due dates as other tools write them: ISO days and times (a time in UTC is the day it falls
//! on here), Jira's `05/Dec/26`, and spreadsheets' `6.12.2026` and `12/6/2026`, whose order of
//! day and month the file or the computer's locale tells.

use jiff::tz::TimeZone;

use super::Notes;
use crate::validate;

/// A due date as other tools write it, as a day: `2026-12-05`; a time with its offset,
/// `2026-12-05T23:00:00+01:00`, the day it names where it was written (the 5th); a time in
/// UTC, `2026-12-05T23:30:00.000Z`, as Trello keeps its due dates, the day it falls on in `zone`
/// (the 6th in Berlin), the day Trello shows there; Jira's `05/Dec/26 12:00 AM`; a
/// spreadsheet's `5.12.2026` (day first), `2026/12/05`, and `12/5/2026` read in `slashes`'
/// order; `None` for anything else.
pub(super) fn due_of(text: &str, zone: &TimeZone, slashes: Slashes) -> Option<String> {
    let text = text.trim();
    if let Some(date) = text.get(..10).filter(|d| validate::date("due", d).is_ok()) {
        let rest = &text[10..];
        if rest.ends_with(['Z', 'z']) {
            if let Ok(instant) = text.parse::<jiff::Timestamp>() {
                return Some(instant.to_zoned(zone.clone()).date().to_string());
            }
        }
        if rest.is_empty() || rest.starts_with(['T', ' ']) {
            return Some(date.to_owned());
        }
    }
    // A date, then perhaps a time: DD/Mon/YY (Jira), D.M.YYYY, YYYY/MM/DD, A/B/YYYY.
    let date = text.split(' ').next()?;
    let (separator, parts) = match (date.contains('.'), date.contains('/')) {
        (true, false) => ('.', date.split('.').collect::<Vec<_>>()),
        (false, true) => ('/', date.split('/').collect()),
        _ => return None,
    };
    let [a, b, c] = parts[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let number = |part: &str| -> Option<u32> {
        (!part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = |part: &str| match (part.len(), number(part)?) {
        (2, y) => Some(2000 + y),
        (4, y) => Some(y),
        _ => None,
    };
    let (year, month, day) =
        if let Some(month) = MONTHS.iter().position(|m| b.eq_ignore_ascii_case(m)) {
            (year(c)?, month as u32 + 1, number(a)?)
        } else if a.len() == 4 && separator == '/' {
            (year(a)?, number(b)?, number(c)?)
        } else if separator == '.' || slashes == Slashes::DayFirst {
            (year(c)?, number(b)?, number(a)?)
        } else {
            (year(c)?, number(a)?, number(b)?)
        };
    let date = format!("{year:04}-{month:02}-{day:02}");
    validate::date("due", &date).ok()
}

/// Which comes first in a date written `A/B/YYYY`: the day (most of the world) or the month
/// (the United States), as the file shows or the computer's locale says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slashes {
    DayFirst,
    MonthFirst,
}

impl Slashes {
    /// The order a locale (`LC_ALL`, `LC_TIME` or `LANG`, like `en_US.UTF-8`) writes dates in:
    /// the month first in the United States and where none is set (Excel's own default).
    pub fn of_locale(locale: Option<&str>) -> Slashes {
        let locale = locale.unwrap_or("").split(['.', '@']).next().unwrap_or("");
        match locale.split_once('_') {
            Some((_, region)) if region != "US" => Slashes::DayFirst,
            _ => Slashes::MonthFirst,
        }
    }

    /// The locale of this process, as the C library reads it.
    pub fn locale() -> Option<String> {
        ["LC_ALL", "LC_TIME", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
    }

    fn words(self) -> &'static str {
        match self {
            Slashes::DayFirst => "day/month",
            Slashes::MonthFirst => "month/day",
        }
    }
}

/// The two numbers before the year of a date written `A/B/YYYY`, if `text` is one.
pub(super) fn slashed(text: &str) -> Option<(u32, u32)> {
    let date = text.trim().split(' ').next()?;
    let mut parts = date.split('/');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || a.len() > 2 || b.len() > 2 || !matches!(c.len(), 2 | 4) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// How a file's `A/B/YYYY` dates are read: as a date in it shows (a first number above 12 is
/// a day, a second above 12 is), else as `locale` writes them; with why, for the report.
pub(super) fn slashes_of<'a>(
    dues: impl Iterator<Item = &'a str>,
    locale: Option<&str>,
) -> (Slashes, String) {
    let (mut day_first, mut month_first) = (None, None);
    for due in dues {
        match slashed(due) {
            Some((a, _)) if a > 12 => day_first = day_first.or(Some(due.trim())),
            Some((_, b)) if b > 12 => month_first = month_first.or(Some(due.trim())),
            _ => {}
        }
    }
    match (day_first, month_first) {
        (Some(seen), None) => (Slashes::DayFirst, format!("as “{seen}” in the file shows")),
        (None, Some(seen)) => (
            Slashes::MonthFirst,
            format!("as “{seen}” in the file shows"),
        ),
        _ => {
            let slashes = Slashes::of_locale(locale);
            let why = match locale {
                Some(locale) => format!("as this computer's locale, {locale}, writes dates"),
                None => "as this computer, with no locale set, takes them".to_owned(),
            };
            (slashes, why)
        }
    }
}

/// How due dates that are ISO days or times are read (Trello's): no `A/B/YYYY` among them.
pub(super) const ISO_ONLY: (Slashes, String) = (Slashes::MonthFirst, String::new());

/// `given`'s day as [`due_of`] reads it, saying in `notes` what it leaves out, and which days
/// are not the one written because they fall on another in `zone`.
pub(super) fn due_noted(
    given: &str,
    zone: &TimeZone,
    slashes: &(Slashes, String),
    notes: &mut Notes,
) -> Option<String> {
    let Some(day) = due_of(given, zone, slashes.0) else {
        notes.add(
            ["due date", "due dates"],
            "left out, not a date Tandem reads",
            given,
        );
        return None;
    };
    let given = given.trim();
    if slashed(given).is_some_and(|(a, b)| a <= 12 && b <= 12 && a != b) {
        let (order, why) = slashes;
        notes.add(
            ["due date", "due dates"],
            format!("read as {}, {why}", order.words()),
            format!("{given} → {day}"),
        );
    }
    if given.ends_with(['Z', 'z']) && !given.starts_with(&day) {
        let zone = match zone.iana_name() {
            Some(name) => format!("{name}, this computer's time zone"),
            None => "this computer's time zone".to_owned(),
        };
        notes.add(
            ["due date", "due dates"],
            format!(
                "given in UTC, each taken as the day it falls on in {zone}, as Trello shows it"
            ),
            format!("{given} → {day}"),
        );
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_time_in_utc_is_the_day_it_falls_on_where_it_is_read() {
        let (berlin, honolulu) = (
            TimeZone::get("Europe/Berlin").unwrap(),
            TimeZone::get("Pacific/Honolulu").unwrap(),
        );
        for (given, in_berlin, in_honolulu) in [
            // Midnight of the 6th in Berlin, as Trello writes it.
            ("2026-12-05T23:00:00.000Z", "2026-12-06", "2026-12-05"),
            ("2026-12-05T09:00:00Z", "2026-12-05", "2026-12-04"),
            // In summer Berlin is two hours ahead.
            ("2026-07-31T22:30:00.000Z", "2026-08-01", "2026-07-31"),
            // A time with its own offset is the day where it was written, anywhere.
            ("2026-12-05T23:00:00+01:00", "2026-12-05", "2026-12-05"),
            ("2026-12-05 23:00", "2026-12-05", "2026-12-05"),
            ("2026-12-05", "2026-12-05", "2026-12-05"),
            ("05/Dec/26 12:00 AM", "2026-12-05", "2026-12-05"),
        ] {
            assert_eq!(
                due_of(given, &berlin, Slashes::DayFirst).as_deref(),
                Some(in_berlin),
                "{given}"
            );
            assert_eq!(
                due_of(given, &honolulu, Slashes::DayFirst).as_deref(),
                Some(in_honolulu),
                "{given}"
            );
        }
        for nonsense in ["2026-12-05Z", "2026-02-30T10:00:00Z", "soon"] {
            assert_eq!(
                due_of(nonsense, &berlin, Slashes::DayFirst),
                None,
                "{nonsense}"
            );
        }
    }

    #[test]
    fn a_spreadsheets_dates_are_read_in_the_order_the_file_or_the_locale_shows() {
        let utc = TimeZone::UTC;
        let due = |text: &str, slashes| due_of(text, &utc, slashes);
        for slashes in [Slashes::DayFirst, Slashes::MonthFirst] {
            // A dotted date is the day first wherever it is written; a year first is clear.
            assert_eq!(due("6.12.2026", slashes).as_deref(), Some("2026-12-06"));
            assert_eq!(
                due("06.12.26 00:00", slashes).as_deref(),
                Some("2026-12-06")
            );
            assert_eq!(due("2026/12/05", slashes).as_deref(), Some("2026-12-05"));
            assert_eq!(due("31.02.2026", slashes), None, "no 31 February");
            assert_eq!(due("1.2.3.2026", slashes), None);
        }
        assert_eq!(
            due("06/12/2026", Slashes::DayFirst).as_deref(),
            Some("2026-12-06")
        );
        assert_eq!(
            due("06/12/2026", Slashes::MonthFirst).as_deref(),
            Some("2026-06-12")
        );
        assert_eq!(
            due("12/24/2026 11:00 AM", Slashes::MonthFirst).as_deref(),
            Some("2026-12-24")
        );
        assert_eq!(due("12/24/2026", Slashes::DayFirst), None);

        // The file decides when a date in it can only be read one way; else the locale.
        let of = |dues: &[&str], locale| slashes_of(dues.iter().copied(), locale);
        assert_eq!(of(&["06/12/2026", "25/12/2026"], None).0, Slashes::DayFirst);
        assert_eq!(
            of(&["06/12/2026", "12/24/2026"], Some("de_DE.UTF-8")),
            (
                Slashes::MonthFirst,
                "as “12/24/2026” in the file shows".to_owned()
            )
        );
        assert_eq!(
            of(&["06/12/2026"], Some("de_DE.UTF-8")),
            (
                Slashes::DayFirst,
                "as this computer's locale, de_DE.UTF-8, writes dates".to_owned()
            )
        );
        assert_eq!(
            of(&["06/12/2026"], Some("en_US.UTF-8")).0,
            Slashes::MonthFirst
        );
        for (locale, slashes) in [
            ("en_GB.UTF-8", Slashes::DayFirst),
            ("fr_FR", Slashes::DayFirst),
            ("en_US", Slashes::MonthFirst),
            ("C.UTF-8", Slashes::MonthFirst),
            ("POSIX", Slashes::MonthFirst),
        ] {
            assert_eq!(Slashes::of_locale(Some(locale)), slashes, "{locale}");
        }

        // Only a date that could be read either way is said, with why it was read so.
        let mut notes = Notes::default();
        let slashes = of(&["06/12/2026", "25/12/2026", "05/05/2026"], None);
        for given in ["06/12/2026", "25/12/2026", "05/05/2026"] {
            due_noted(given, &utc, &slashes, &mut notes);
        }
        assert_eq!(
            notes.sentences(),
            [
                "1 due date read as day/month, as “25/12/2026” in the file shows: \
              “06/12/2026 → 2026-12-06”"
            ]
        );
    }

    #[test]
    fn only_a_day_moved_off_the_one_written_is_said_and_one_unread_is_counted() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let mut notes = Notes::default();
        for given in [
            "2026-12-05T23:00:00.000Z",
            "2026-12-05T09:00:00.000Z",
            "05/Dec/26 12:00 AM",
            "2026-12-05",
            "2026-12-05T23:30:00+01:00",
            "next sprint",
        ] {
            due_noted(given, &berlin, &ISO_ONLY, &mut notes);
        }
        assert_eq!(
            notes.sentences(),
            [
                "1 due date given in UTC, each taken as the day it falls on in Europe/Berlin, \
                 this computer's time zone, as Trello shows it: “2026-12-05T23:00:00.000Z → \
                 2026-12-06”",
                "1 due date left out, not a date Tandem reads: “next sprint”"
            ]
        );
    }
}

//! Field rules, checked by the store before it writes anything (invariant I4).
//!
//! The UI checks the same limits for a quick message, but these are the ones that count: every
//! writer that goes through Tandem (window, CLI, script) meets them here.

use crate::error::{Error, Result};
use crate::model::Priority;

/// Longest task or subtask title, in characters: a title is a line on a card, not a document.
pub const MAX_TITLE_CHARS: usize = 500;

/// Longest project, column or label name, in characters: it must fit a header or a chip.
pub const MAX_NAME_CHARS: usize = 100;

/// A title: trimmed, not empty, one line, at most [`MAX_TITLE_CHARS`].
pub fn title(field: &'static str, value: &str) -> Result<String> {
    line(field, value, MAX_TITLE_CHARS)
}

/// A name of a project, column or label: as a title, at most [`MAX_NAME_CHARS`].
pub fn name(field: &'static str, value: &str) -> Result<String> {
    line(field, value, MAX_NAME_CHARS)
}

fn line(field: &'static str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters (it has {chars})"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be one line without control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Longest task description, in characters: GitHub's limit for an issue's body, so cards brought
/// from other tools (Trello allows 16,384) fit whole.
pub const MAX_DESCRIPTION_CHARS: usize = 65_536;

/// The largest WIP limit: past this, a limit means nothing on a board.
pub const MAX_WIP_LIMIT: i64 = 999;

/// A description: plain text whose line breaks and tabs are kept (Windows line ends become
/// `\n`), trailing blank space dropped, at most [`MAX_DESCRIPTION_CHARS`]. May be empty.
pub fn description(field: &'static str, value: &str) -> Result<String> {
    let value = value.replace("\r\n", "\n");
    let value = value.trim_end();
    let chars = value.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters (it has {chars})"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(
            field,
            "must be plain text: line breaks and tabs, no other control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Longest comment, in characters (the database holds no longer one either).
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// A comment's Markdown: as a description, and not blank, at most [`MAX_COMMENT_CHARS`].
pub fn comment(value: &str) -> Result<String> {
    let chars = value.chars().count();
    if chars > MAX_COMMENT_CHARS {
        return Err(Error::invalid(
            "body",
            format!("must be at most {MAX_COMMENT_CHARS} characters (it has {chars})"),
        ));
    }
    let value = description("body", value)?;
    if value.trim().is_empty() {
        return Err(Error::invalid("body", "must not be empty"));
    }
    Ok(value)
}

/// A calendar date written `YYYY-MM-DD`, and a real one.
pub fn date(field: &'static str, value: &str) -> Result<String> {
    let value = value.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(value, &format) {
        Ok(_) if value.len() == 10 => Ok(value.to_owned()),
        _ => Err(Error::invalid(
            field,
            format!("{value:?} is not a calendar date written YYYY-MM-DD"),
        )),
    }
}

/// A priority as a person types it: none, low, medium, high or urgent, in any case.
pub fn priority(field: &'static str, value: &str) -> Result<Priority> {
    let word = value.trim().to_ascii_lowercase();
    serde_json::from_value(serde_json::Value::String(word)).map_err(|_| {
        Error::invalid(
            field,
            format!("{value:?} is not one of none, low, medium, high, urgent"),
        )
    })
}

/// The longest login PostgreSQL keeps whole (NAMEDATALEN - 1).
pub const MAX_LOGIN: usize = 63;

/// A person's login: letters, digits, `_`, `.`, `-` and `@`, starting with a letter, at most
/// [`MAX_LOGIN`] bytes; what a server and an operating system both take as a user name.
pub fn login(value: &str) -> Result<String> {
    let value = value.trim();
    let shaped = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'));
    if shaped && value.len() <= MAX_LOGIN {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            "login",
            format!(
                "{value:?} is not a login: letters, digits, _ . - @, starting with a letter, \
                 at most {MAX_LOGIN} characters"
            ),
        ))
    }
}

/// A colour written `#RRGGBB`, returned in lower case.
pub fn color(field: &'static str, value: &str) -> Result<String> {
    let value = value.trim();
    let hex = value.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::invalid(
            field,
            format!("{value:?} is not a colour written #RRGGBB"),
        ))
    }
}

/// A work-in-progress limit: at least 1, at most [`MAX_WIP_LIMIT`].
pub fn wip_limit(field: &'static str, value: i64) -> Result<i64> {
    if (1..=MAX_WIP_LIMIT).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            format!("must be from 1 to {MAX_WIP_LIMIT} (it is {value})"),
        ))
    }
}

/// A link from a card's text that the desktop may open: the web or mail, nothing else (not
/// `file:`, `javascript:` or another program's scheme), returned as parsed.
pub fn web_link(value: &str) -> Result<url::Url> {
    let link = url::Url::parse(value.trim())
        .map_err(|e| Error::invalid("url", format!("{value:?} is not a link: {e}")))?;
    match link.scheme() {
        "http" | "https" | "mailto" => Ok(link),
        other => Err(Error::invalid(
            "url",
            format!("a {other}: link is not opened: only web and mail links are"),
        )),
    }
}

/// A position in a list: not negative. Past the end means "at the end".
pub fn index(field: &'static str, value: i64) -> Result<usize> {
    usize::try_from(value).map_err(|_| Error::invalid(field, "must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_opened() {
        for good in [
            "https://example.com/a?b=c",
            " http://x.org ",
            "mailto:bob@example.com",
        ] {
            assert!(web_link(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hi",
            "steam://run/1",
            "not a link",
            "",
        ] {
            let err = web_link(bad).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { field: "url", .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn titles_are_trimmed() {
        assert_eq!(title("title", "  Write docs \t").unwrap(), "Write docs");
    }

    #[test]
    fn empty_and_blank_titles_are_refused() {
        for blank in ["", "   ", "\t\n"] {
            let err = title("title", blank).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { field: "title", .. }),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn long_titles_are_refused_with_their_length() {
        let err = title("title", &"x".repeat(MAX_TITLE_CHARS + 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "title: must be at most 500 characters (it has 501)"
        );
        assert!(title("title", &"é".repeat(MAX_TITLE_CHARS)).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in ["a\nb", "a\u{0}b", "bell\u{7}"] {
            assert!(title("title", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_shorter_than_titles() {
        assert!(name("name", &"n".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(name("name", &"n".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn descriptions_keep_their_lines_and_refuse_other_control_characters() {
        assert_eq!(
            description("description", "Steps:\r\n1. one\n\t2. two  \n\n").unwrap(),
            "Steps:\n1. one\n\t2. two"
        );
        assert_eq!(description("description", "").unwrap(), "");
        assert!(description("description", "bell\u{7}").is_err());
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(matches!(
            description("description", &long),
            Err(Error::Invalid {
                field: "description",
                ..
            })
        ));
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(date("due_date", " 2026-02-28 ").unwrap(), "2026-02-28");
        assert!(date("due_date", "2028-02-29").is_ok(), "a leap day");
        for bad in [
            "2026-02-29",
            "2026-04-31",
            "2026-13-01",
            "26-01-01",
            "2026-1-5",
            "soon",
            "",
        ] {
            assert!(
                matches!(
                    date("due_date", bad),
                    Err(Error::Invalid {
                        field: "due_date",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(color("color", "#A1b2C3").unwrap(), "#a1b2c3");
        for bad in ["a1b2c3", "#abc", "#abcdeg", "#a1b2c3d", "red", ""] {
            assert!(color("color", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wip_limits_are_small_positive_numbers() {
        assert_eq!(wip_limit("wip_limit", 3).unwrap(), 3);
        for bad in [0, -1, MAX_WIP_LIMIT + 1] {
            assert!(wip_limit("wip_limit", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn negative_indexes_are_refused() {
        assert_eq!(index("index", 3).unwrap(), 3);
        assert!(index("index", -1).is_err());
    }
}

//! Field rules, checked by the store before it writes anything (invariant I4).
//!
//! The UI checks the same limits for a quick message, but these are the ones that count: every
//! writer that goes through Tandem (window, CLI, script) meets them here.

use crate::error::{Error, Result};

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

/// A position in a list: not negative. Past the end means "at the end".
pub fn index(field: &'static str, value: i64) -> Result<usize> {
    usize::try_from(value).map_err(|_| Error::invalid(field, "must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn negative_indexes_are_refused() {
        assert_eq!(index("index", 3).unwrap(), 3);
        assert!(index("index", -1).is_err());
    }
}

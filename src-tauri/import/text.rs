//! A CSV file before its cells are read: its encoding and its delimiter, told from its bytes
//! unless given, and its quoting held to RFC 4180, so that a stray quote is refused at its line
//! instead of swallowing the rows after it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// The encodings spreadsheets and other tools write CSV in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    #[value(name = "utf-8")]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Excel's "Unicode text".
    #[value(name = "utf-16le")]
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[value(name = "utf-16be")]
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Excel's CSV in Western European locales.
    #[value(name = "windows-1252")]
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Excel for Mac's "CSV (Macintosh)": Mac OS Roman, lines ended by a carriage return.
    #[value(name = "mac-roman")]
    #[serde(rename = "mac-roman")]
    MacRoman,
}

impl Encoding {
    /// Its name, as `--encoding` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::MacRoman => "Mac Roman",
        }
    }
}

/// What separates a CSV's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    Comma,
    /// Excel's CSV where the comma is the decimal separator.
    Semicolon,
    /// Excel's "Unicode text", and tab-separated exports.
    Tab,
}

impl Delimiter {
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }

    /// Its name, as `--delimiter` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Delimiter::Comma => "comma",
            Delimiter::Semicolon => "semicolon",
            Delimiter::Tab => "tab",
        }
    }
}

/// The text of `bytes`, in `given` or the encoding told from them: a byte-order mark says
/// UTF-8 or UTF-16; without one, text that is valid UTF-8 is UTF-8, text with a NUL in every
/// other byte is UTF-16, and anything else is taken for Windows-1252 (which every byte is).
pub fn decode(bytes: &[u8], given: Option<Encoding>) -> Result<(String, Encoding)> {
    let (bom, rest) = match bytes {
        [0xef, 0xbb, 0xbf, rest @ ..] => (Some(Encoding::Utf8), rest),
        [0xff, 0xfe, rest @ ..] => (Some(Encoding::Utf16Le), rest),
        [0xfe, 0xff, rest @ ..] => (Some(Encoding::Utf16Be), rest),
        _ => (None, bytes),
    };
    let encoding = given.or(bom).unwrap_or_else(|| sniff_encoding(bytes));
    let body = if bom == Some(encoding) { rest } else { bytes };
    let text = match encoding {
        Encoding::Utf8 => std::str::from_utf8(body).map(str::to_owned).map_err(|e| {
            // Lines end with LF, CRLF, or (Excel for Mac) a CR alone.
            let before = &body[..e.valid_up_to()];
            let line = 1 + before
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')))
                .count();
            refused(&format!(
                "line {line}: the file is not UTF-8 text (a spreadsheet may have saved it \
                     as Windows-1252 or, on a Mac, as Mac Roman: try --encoding windows-1252 \
                     or --encoding mac-roman)"
            ))
        })?,
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let decoder = if encoding == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            if body.len() % 2 != 0 {
                return Err(refused(&format!(
                    "the file is not {} text: it has an odd number of bytes",
                    encoding.name()
                )));
            }
            let (text, had_errors) = decoder.decode_without_bom_handling(body);
            if had_errors {
                return Err(refused(&format!(
                    "the file is not {} text: it holds a broken character",
                    encoding.name()
                )));
            }
            text.into_owned()
        }
        Encoding::Windows1252 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(body)
            .0
            .into_owned(),
        Encoding::MacRoman => encoding_rs::MACINTOSH
            .decode_without_bom_handling(body)
            .0
            .into_owned(),
    };
    Ok((text, encoding))
}

/// UTF-16 when NULs fill every other byte of the start (text of Latin letters, which is valid
/// UTF-8 too, NULs and all); UTF-8 when the bytes are; else Mac Roman for what Excel for Mac
/// writes (lines ended by a carriage return alone, or a byte Windows-1252 leaves undefined),
/// and Windows-1252 for the rest.
fn sniff_encoding(bytes: &[u8]) -> Encoding {
    let head = &bytes[..bytes.len().min(1024) & !1];
    let pairs = head.len() / 2;
    if pairs > 0 {
        let nul_odd = head.chunks(2).filter(|p| p[1] == 0 && p[0] != 0).count();
        let nul_even = head.chunks(2).filter(|p| p[0] == 0 && p[1] != 0).count();
        if nul_odd * 10 >= pairs * 9 {
            return Encoding::Utf16Le;
        }
        if nul_even * 10 >= pairs * 9 {
            return Encoding::Utf16Be;
        }
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Encoding::Utf8;
    }
    let mac_lines = bytes.contains(&b'\r') && !bytes.contains(&b'\n');
    // Windows-1252 has no character for these; in Mac Roman they are Å ç è ê ù.
    let not_1252 = |b: &u8| matches!(b, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d);
    if mac_lines || bytes.iter().any(not_1252) {
        return Encoding::MacRoman;
    }
    Encoding::Windows1252
}

/// The delimiter of a CSV's header line: whichever of comma, semicolon and tab it has most of
/// outside quotes (a comma when none).
pub fn sniff_delimiter(text: &str) -> Delimiter {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [Delimiter::Comma, Delimiter::Semicolon, Delimiter::Tab]
        .into_iter()
        .zip(counts)
        .max_by_key(|&(d, n)| (n, d == Delimiter::Comma))
        .map(|(d, _)| d);
    best.unwrap_or(Delimiter::Comma)
}

/// Holds `text` to RFC 4180 with `delimiter`: a quote only opens a cell or, doubled, stands for
/// itself inside a quoted one; a closing quote ends its cell; every quote opened is closed; and
/// no row has more cells than the header. The first fault is refused with its line.
pub fn check(text: &str, delimiter: Delimiter) -> Result<()> {
    let delimiter = char::from(delimiter.byte());
    let mut line = 1usize;
    // Where the cell being read began, for a quote never closed.
    let mut opened_at = 1usize;
    let mut header: Option<usize> = None;
    let mut cells = 1usize;
    let mut row_has_text = false;
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut at = At::CellStart;
    let mut chars = text.chars().peekable();
    let end_row = |cells: usize, line: usize, header: &mut Option<usize>| -> Result<()> {
        match *header {
            None => *header = Some(cells),
            Some(wanted) if cells > wanted => {
                return Err(refused(&format!(
                    "line {line}: {cells} cells, but the header has {wanted}: a cell holding \
                     the delimiter must be quoted"
                )))
            }
            Some(_) => {}
        }
        Ok(())
    };
    while let Some(c) = chars.next() {
        match (at, c) {
            (At::Quoted, '"') => at = At::QuoteInQuoted,
            (At::Quoted, '\n') => line += 1,
            (At::Quoted, '\r') if chars.peek() != Some(&'\n') => line += 1,
            (At::Quoted, _) => {}
            (At::QuoteInQuoted, '"') => at = At::Quoted,
            (_, c) if c == delimiter => {
                cells += 1;
                at = At::CellStart;
            }
            (_, '\r' | '\n') => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if row_has_text || cells > 1 {
                    end_row(cells, line, &mut header)?;
                }
                line += 1;
                cells = 1;
                row_has_text = false;
                at = At::CellStart;
            }
            (At::CellStart, '"') => {
                at = At::Quoted;
                opened_at = line;
                row_has_text = true;
            }
            (At::Unquoted, '"') => {
                return Err(refused(&format!(
                    "line {line}: a quote inside a cell that does not start with one (quote \
                     the whole cell and double the quote: \"\"like this\"\")"
                )))
            }
            (At::QuoteInQuoted, _) => {
                return Err(refused(&format!(
                    "line {line}: text after a cell's closing quote (a quote inside a \
                     quoted cell is written twice: \"\")"
                )))
            }
            (At::CellStart | At::Unquoted, _) => {
                at = At::Unquoted;
                row_has_text = true;
            }
        }
    }
    if at == At::Quoted {
        return Err(refused(&format!(
            "line {opened_at}: a quote opened here is never closed, so the rest of the file \
             would be one cell"
        )));
    }
    if row_has_text || cells > 1 {
        end_row(cells, line, &mut header)?;
    }
    Ok(())
}

fn refused(reason: &str) -> Error {
    Error::invalid("file", format!("nothing was imported: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_told_from_a_mark_or_the_bytes_and_can_be_given() {
        let utf16le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(
                "titel\tspalte\nÄpfel\tTo do\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(
            decode(&utf16le, None).unwrap(),
            ("titel\tspalte\nÄpfel\tTo do\n".into(), Encoding::Utf16Le)
        );
        let utf16be: Vec<u8> = "title\nx\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode(&utf16be, None).unwrap().1, Encoding::Utf16Be);
        let cp1252 = b"title;column\nCaf\xe9 cr\xe8me;To do\n";
        assert_eq!(
            decode(cp1252, None).unwrap(),
            (
                "title;column\nCafé crème;To do\n".into(),
                Encoding::Windows1252
            )
        );
        assert_eq!(
            decode(b"\xef\xbb\xbftitle\n", None).unwrap(),
            ("title\n".into(), Encoding::Utf8)
        );
        let refused = decode(b"title\nok\nCaf\xe9\n", Some(Encoding::Utf8)).unwrap_err();
        assert!(refused.to_string().contains("line 3"), "{refused}");
        let refused = decode(b"title\rok\r\nCaf\xe9\r", Some(Encoding::Utf8)).unwrap_err();
        assert!(refused.to_string().contains("line 3"), "{refused}");
        assert!(
            refused.to_string().contains("--encoding windows-1252"),
            "{refused}"
        );
        // Excel for Mac's CSV (Macintosh): told by its line ends, or by a byte 1252 lacks.
        assert_eq!(
            decode(b"title,column\rCaf\x8e cr\x8fme,To do\r", None).unwrap(),
            (
                "title,column\rCafé crème,To do\r".into(),
                Encoding::MacRoman
            )
        );
        assert_eq!(
            decode(b"title\nGar\x8don\n", None).unwrap().1,
            Encoding::MacRoman
        );
        assert!(decode(b"\xff\xfet\x00i\x00", None).is_ok());
        assert!(decode(b"\xff\xfet\x00i", None).is_err(), "an odd byte");
    }

    #[test]
    fn the_delimiter_is_the_headers_most_common_outside_quotes() {
        assert_eq!(sniff_delimiter("title,column\na;b;c;d\n"), Delimiter::Comma);
        assert_eq!(
            sniff_delimiter("titel;spalte;beschreibung\n"),
            Delimiter::Semicolon
        );
        assert_eq!(sniff_delimiter("Summary\tStatus\n"), Delimiter::Tab);
        assert_eq!(sniff_delimiter("\"a;b\",c\n"), Delimiter::Comma);
        assert_eq!(sniff_delimiter("title\n"), Delimiter::Comma);
    }

    #[test]
    fn quoting_is_held_to_rfc_4180_and_a_fault_named_by_its_line() {
        let ok = "title,description\n\"Ship, now\",\"said \"\"go\"\"\nover lines\"\nPlain,\n";
        assert!(check(ok, Delimiter::Comma).is_ok());
        let fault = |text: &str| check(text, Delimiter::Comma).unwrap_err().to_string();
        let open = fault("title,column\nok,To do\n\"unterminated,To do\nlast,Done\n");
        assert!(
            open.contains("line 3: a quote opened here is never closed"),
            "{open}"
        );
        let inside = fault("title\nok\nsay \"hi\"\n");
        assert!(inside.contains("line 3: a quote inside a cell"), "{inside}");
        let after = fault("title,column\n\"a\"b,To do\n");
        assert!(
            after.contains("line 2: text after a cell's closing quote"),
            "{after}"
        );
        let wide = fault("title,column\na,b\nc,d,e\n");
        assert!(
            wide.contains("line 3: 3 cells, but the header has 2"),
            "{wide}"
        );
        // Fewer cells than the header are empty ones; CRLF and a last line without an end too.
        assert!(check("title,column\r\na\r\nb,c", Delimiter::Comma).is_ok());
        assert!(check("a;b\n\"x\";\"y\"\n", Delimiter::Semicolon).is_ok());
    }
}

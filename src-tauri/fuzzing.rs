//! Every reader of outside bytes, as one call: what the fuzz targets (`make fuzz`, under
//! `fuzz/`) drive with generated inputs, and what `make test` drives with the corpus they keep.
//! Any input gives a result or a typed error: a panic, a hang or a blow-up is a finding.

use bytes::BytesMut;
use jiff::tz::TimeZone;
use tokio_util::codec::Decoder;

use crate::bridge::frame::{Frame, LineDecoder};
use crate::config::Location;
use crate::import::{self, CsvOptions, Here};

/// The same place for every input: UTC, no locale.
fn nowhere() -> Here {
    Here {
        zone: TimeZone::UTC,
        locale: None,
    }
}

/// A CSV to import, with its encoding and delimiter told from it.
pub fn csv(data: &[u8]) {
    let _ = import::csv(data, None, "Inbox", &CsvOptions::default(), &nowhere());
}

/// A Trello board export.
pub fn trello(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = import::trello(text, None, &nowhere());
    }
}

/// Tandem's own JSON export.
pub fn tandem_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = import::tandem(text);
    }
}

/// The settings file.
pub fn settings(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::settings::parse(text);
    }
}

/// Bytes a peer writes on the hub's socket: split into lines, each parsed as a frame; a frame
/// that parses is written and parsed again to the same.
pub fn frames(data: &[u8]) {
    let mut decoder = LineDecoder::new();
    let mut buffer = BytesMut::from(data);
    loop {
        match decoder.decode(&mut buffer) {
            Ok(Some(line)) => round_trip(&line),
            Ok(None) => break,
            Err(_) => return,
        }
    }
    if let Ok(Some(line)) = decoder.decode_eof(&mut buffer) {
        round_trip(&line);
    }
}

fn round_trip(line: &str) {
    if let Ok(frame) = Frame::parse(line) {
        let again = frame.to_line().expect("a parsed frame writes");
        assert!(Frame::parse(&again).is_ok(), "a frame written reads back");
    }
}

/// A database location as `--db`, `TANDEM_DB` or Settings take it.
pub fn location(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Location::parse(text);
    }
}

/// A file given to `tandem restore` (or found as the database): checked as Tandem checks
/// one before it opens or restores it.
pub fn database_file(data: &[u8]) {
    static GIVEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = GIVEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tandem-fuzz-{}-{n}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let file = dir.join("given.db");
    if std::fs::write(&file, data).is_ok() {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = runtime.block_on(crate::store::health(&Location::File(file)));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reader of outside bytes.
pub type Reader = fn(&[u8]);

/// Each reader by the name its fuzz target and corpus folder have.
pub const TARGETS: [(&str, Reader); 7] = [
    ("csv", csv),
    ("trello", trello),
    ("tandem_json", tandem_json),
    ("settings", settings),
    ("frames", frames),
    ("location", location),
    ("database_file", database_file),
];

//! The bridge's wire format, protocol v1: one JSON object per line, `"type"` naming the frame.
//!
//! Owns the frames, their limits and their parsing; nothing else in the bridge looks at bytes.
//! Anything a peer sends that is not a well-formed v1 frame becomes a [`ProtocolError`] with a
//! stable code, which the hub sends back in an `error` frame before it closes the connection.
//! docs/protocol.md is the user's description of the same thing and must agree with it.

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio_util::codec::{Decoder, LinesCodec, LinesCodecError};

use crate::model::{Actor, Batch, ProjectId};
use crate::notice::{Attention, Notice};

/// The protocol version this build speaks. A peer that says another is refused.
pub const PROTO: u32 = 1;

/// The longest line either side accepts, newline excluded. A burst's coalesced batch is a few
/// hundred KiB at most; a longer line is a broken or hostile peer, and the bound keeps one peer
/// from holding the hub's memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// A frame encoded once, newline included, shared by every peer it is sent to.
pub type Line = std::sync::Arc<str>;

/// One message on the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// A peer's first frame: who it is and how far it has read the log.
    Hello(Hello),
    /// The hub's answer to `hello`.
    Welcome(Welcome),
    /// Changes committed by the sender (peer → hub), or relayed (hub → peer).
    Batch(Batch),
    /// Changes the peer's scope: only changes of one project, or all.
    Subscribe {
        scope: Option<ProjectId>,
    },
    Ping,
    Pong,
    /// Who is connected, sent to everyone when it changes.
    Presence {
        peers: Vec<PeerInfo>,
    },
    /// The hub dropped batches meant for this peer: read the log after `from_seq - 1`.
    Resync {
        from_seq: i64,
    },
    /// A peer's own diagnostics, kept by the hub for `tandem status`.
    Report {
        status: Box<RawValue>,
    },
    /// Where a peer's user is looking, and whether they want notifications (peer → hub): sent
    /// when it changes.
    Attention(Attention),
    /// A notification for the peer to show (hub → one peer): the hub tells each change once.
    Notify(Notice),
    /// Why the sender is about to close the connection.
    Error {
        code: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub proto: u32,
    /// The peer's instance id, as in its changes' origins.
    pub instance: String,
    pub pid: u32,
    pub kind: Actor,
    /// Only this project's changes; all when `None`.
    #[serde(default)]
    pub scope: Option<ProjectId>,
    /// The last seq the peer has seen; it catches up from the log itself.
    #[serde(default)]
    pub last_seq: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Welcome {
    pub proto: u32,
    /// The hub's instance id.
    pub hub: String,
    /// The log's last seq when the peer joined.
    pub seq: i64,
    /// Everyone connected, the new peer included.
    pub peers: Vec<PeerInfo>,
    /// The notifications the hub has sent so far.
    #[serde(default)]
    pub notices: NoticeCounts,
}

/// What the hub did with the notifications it gathered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeCounts {
    /// Sent to an instance to show.
    pub sent: u64,
    /// Not sent: no instance wanted notifications.
    pub unwanted: u64,
}

/// A connected peer, as the hub knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerInfo {
    pub instance: String,
    pub pid: u32,
    pub kind: Actor,
    #[serde(default)]
    pub scope: Option<ProjectId>,
    /// What the hub counted on this peer's link.
    #[serde(default)]
    pub link: LinkCounts,
    /// The peer's latest `report`, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<RawValue>>,
    /// The peer's latest `attention`, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<Attention>,
}

/// One link's traffic, as counted by the hub.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCounts {
    /// Batches the peer sent.
    pub batches_in: u64,
    /// Batches relayed to the peer.
    pub batches_out: u64,
    /// Times the peer's queue overflowed and it was told to resync.
    pub resyncs: u64,
}

/// Why a connection is being closed: each has a stable code for the `error` frame.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("a line is longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("a line is not UTF-8 text")]
    NotText,
    #[error("a line is not a frame: {0}")]
    BadJson(#[from] serde_json::Error),
    #[error("protocol {got} is not spoken here (this is protocol {PROTO})")]
    WrongProto { got: u32 },
    #[error("no hello within {0:?}")]
    NoHello(std::time::Duration),
    #[error("{0} was not expected here")]
    Unexpected(&'static str),
    #[error("peers of another user are refused")]
    Forbidden,
    #[error("nothing heard for {0:?}")]
    Silent(std::time::Duration),
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ProtocolError> for crate::error::Error {
    fn from(error: ProtocolError) -> Self {
        crate::error::Error::Link(Box::new(error))
    }
}

impl ProtocolError {
    /// The `code` of the `error` frame that reports this.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::TooLong => "too_long",
            ProtocolError::NotText | ProtocolError::BadJson(_) => "bad_json",
            ProtocolError::WrongProto { .. } => "wrong_proto",
            ProtocolError::NoHello(_) => "no_hello",
            ProtocolError::Unexpected(_) => "unexpected",
            ProtocolError::Forbidden => "forbidden",
            ProtocolError::Silent(_) => "timeout",
            ProtocolError::Io(_) => "io",
        }
    }

    /// The `error` frame that tells the peer why it is being closed.
    pub fn to_frame(&self) -> Frame {
        Frame::Error {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }
}

/// The frame types, to pick what to parse a line into. (An internally tagged enum cannot hold
/// the change log's raw JSON, so a line is parsed in two steps.)
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Hello,
    Welcome,
    Batch,
    Subscribe,
    Ping,
    Pong,
    Presence,
    Resync,
    Report,
    Attention,
    Notify,
    Error,
}

#[derive(Deserialize)]
struct Tagged {
    #[serde(rename = "type")]
    kind: Kind,
}

#[derive(Deserialize)]
struct ProtoField {
    proto: u32,
}

#[derive(Deserialize)]
struct ScopeFields {
    #[serde(default)]
    scope: Option<ProjectId>,
}

#[derive(Deserialize)]
struct PresenceFields {
    peers: Vec<PeerInfo>,
}

#[derive(Deserialize)]
struct ResyncFields {
    from_seq: i64,
}

#[derive(Deserialize)]
struct ReportFields {
    status: Box<RawValue>,
}

#[derive(Deserialize)]
struct ErrorFields {
    code: String,
    message: String,
}

impl Frame {
    /// Parses one line (without its newline).
    pub fn parse(line: &str) -> Result<Frame, ProtocolError> {
        let Tagged { kind } = serde_json::from_str(line)?;
        Ok(match kind {
            Kind::Hello => {
                // The version first: a peer of another version gets told so, not "bad JSON".
                let ProtoField { proto } = serde_json::from_str(line)?;
                if proto != PROTO {
                    return Err(ProtocolError::WrongProto { got: proto });
                }
                Frame::Hello(serde_json::from_str(line)?)
            }
            Kind::Welcome => Frame::Welcome(serde_json::from_str(line)?),
            Kind::Batch => Frame::Batch(serde_json::from_str(line)?),
            Kind::Subscribe => {
                let ScopeFields { scope } = serde_json::from_str(line)?;
                Frame::Subscribe { scope }
            }
            Kind::Ping => Frame::Ping,
            Kind::Pong => Frame::Pong,
            Kind::Presence => {
                let PresenceFields { peers } = serde_json::from_str(line)?;
                Frame::Presence { peers }
            }
            Kind::Resync => {
                let ResyncFields { from_seq } = serde_json::from_str(line)?;
                Frame::Resync { from_seq }
            }
            Kind::Report => {
                let ReportFields { status } = serde_json::from_str(line)?;
                Frame::Report { status }
            }
            Kind::Attention => Frame::Attention(serde_json::from_str(line)?),
            Kind::Notify => Frame::Notify(serde_json::from_str(line)?),
            Kind::Error => {
                let ErrorFields { code, message } = serde_json::from_str(line)?;
                Frame::Error { code, message }
            }
        })
    }

    /// The frame as one line, newline included, ready to be written (and shared) as is.
    pub fn to_line(&self) -> Result<Line, ProtocolError> {
        let mut line = serde_json::to_string(self)?;
        line.push('\n');
        Ok(line.into())
    }
}

/// Splits a byte stream into lines of at most [`MAX_LINE`] bytes. Parsing is left to
/// [`Frame::parse`] so the hub can relay a batch's line without encoding it again.
#[derive(Debug)]
pub struct LineDecoder(LinesCodec);

impl LineDecoder {
    pub fn new() -> Self {
        Self::with_max(MAX_LINE)
    }

    /// A decoder with a smaller limit, for tests.
    pub fn with_max(max: usize) -> Self {
        Self(LinesCodec::new_with_max_length(max))
    }
}

impl Default for LineDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for LineDecoder {
    type Item = String;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, ProtocolError> {
        self.0.decode(src).map_err(line_error)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<String>, ProtocolError> {
        self.0.decode_eof(src).map_err(line_error)
    }
}

fn line_error(error: LinesCodecError) -> ProtocolError {
    match error {
        LinesCodecError::MaxLineLengthExceeded => ProtocolError::TooLong,
        LinesCodecError::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            ProtocolError::NotText
        }
        LinesCodecError::Io(e) => ProtocolError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hello() -> Frame {
        Frame::Hello(Hello {
            proto: PROTO,
            instance: "i-1".into(),
            pid: 42,
            kind: Actor::Gui,
            scope: None,
            last_seq: 7,
        })
    }

    fn batch_line() -> &'static str {
        r#"{"type":"batch","from_seq":3,"to_seq":4,"changes":[{"seq":4,"op":"update","entity":"task","entity_id":"t","project_id":"p","data":{"title":"A"},"previous":{"title":"B"},"origin":null,"at":1}]}"#
    }

    #[test]
    fn every_frame_survives_a_round_trip_through_its_line() {
        let frames = [
            hello(),
            Frame::parse(batch_line()).unwrap(),
            Frame::Subscribe {
                scope: Some(ProjectId::from("p")),
            },
            Frame::Ping,
            Frame::Pong,
            Frame::Resync { from_seq: 9 },
            Frame::Error {
                code: "too_long".into(),
                message: "x".into(),
            },
        ];
        for frame in frames {
            let line = frame.to_line().unwrap();
            assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
            let again = Frame::parse(line.trim_end()).unwrap();
            assert_eq!(again.to_line().unwrap(), line);
        }
    }

    #[test]
    fn a_batch_keeps_the_logs_json_byte_for_byte() {
        let Frame::Batch(batch) = Frame::parse(batch_line()).unwrap() else {
            panic!("a batch");
        };
        assert_eq!(
            batch.changes[0].data.as_ref().unwrap().get(),
            r#"{"title":"A"}"#
        );
        assert_eq!(
            Frame::Batch(batch).to_line().unwrap().trim_end(),
            batch_line()
        );
    }

    #[test]
    fn garbage_unknown_types_and_missing_fields_are_bad_json() {
        for line in [
            "",
            "hello",
            "{}",
            r#"{"type":"shout"}"#,
            r#"{"type":"hello","proto":1}"#,
            r#"{"type":"hello"}"#,
            r#"{"type":"resync","from_seq":"x"}"#,
            r#"[1,2]"#,
        ] {
            let err = Frame::parse(line).unwrap_err();
            assert_eq!(err.code(), "bad_json", "{line:?}");
        }
    }

    #[test]
    fn a_hello_of_another_version_is_told_so_whatever_else_it_holds() {
        let err = Frame::parse(r#"{"type":"hello","proto":2}"#).unwrap_err();
        assert_eq!(err.code(), "wrong_proto");
        assert!(err.to_string().contains("protocol 2"), "{err}");
    }

    #[test]
    fn a_line_over_the_limit_is_refused_and_the_decoder_does_not_buffer_it() {
        let mut decoder = LineDecoder::with_max(16);
        let mut bytes = BytesMut::from(&b"0123456789abcdefXYZ"[..]);
        assert!(matches!(
            decoder.decode(&mut bytes),
            Err(ProtocolError::TooLong)
        ));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        let mut decoder = LineDecoder::new();
        let mut bytes = BytesMut::from(&b"{\"type\":\xff}\n"[..]);
        assert!(matches!(
            decoder.decode(&mut bytes),
            Err(ProtocolError::NotText)
        ));
    }

    /// Runs `bytes`, cut into `cuts`-sized pieces, through a decoder and the parser, as a
    /// connection would: stops at the first error.
    fn decode_all(bytes: &[u8], cuts: &[usize], max: usize) -> Vec<Result<Frame, ProtocolError>> {
        let mut decoder = LineDecoder::with_max(max);
        let mut buffer = BytesMut::new();
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut cut = cuts.iter().cycle();
        loop {
            let take = cut.next().copied().unwrap_or(1).clamp(1, rest.len().max(1));
            let (piece, tail) = rest.split_at(take.min(rest.len()));
            buffer.extend_from_slice(piece);
            rest = tail;
            let at_end = rest.is_empty();
            loop {
                let line = if at_end {
                    decoder.decode_eof(&mut buffer)
                } else {
                    decoder.decode(&mut buffer)
                };
                match line {
                    Ok(Some(line)) => {
                        let frame = Frame::parse(&line);
                        let failed = frame.is_err();
                        out.push(frame);
                        if failed {
                            return out;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err(e));
                        return out;
                    }
                }
            }
            if at_end {
                return out;
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_give_frames_or_typed_errors_never_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            cuts in proptest::collection::vec(1usize..64, 1..8),
        ) {
            for result in decode_all(&bytes, &cuts, 256) {
                if let Err(e) = result {
                    let known = ["too_long", "bad_json", "wrong_proto"];
                    prop_assert!(known.contains(&e.code()), "{}", e);
                }
            }
        }

        #[test]
        fn valid_frames_split_anywhere_decode_to_the_same_frames(
            seqs in proptest::collection::vec(0i64..1_000_000, 1..20),
            cuts in proptest::collection::vec(1usize..40, 1..8),
        ) {
            let lines: Vec<_> = seqs.iter().map(|&s| Frame::Resync { from_seq: s }.to_line().unwrap()).collect();
            let bytes: Vec<u8> = lines.iter().flat_map(|l| l.bytes()).collect();
            let decoded = decode_all(&bytes, &cuts, MAX_LINE);
            prop_assert_eq!(decoded.len(), seqs.len());
            for (result, seq) in decoded.into_iter().zip(seqs) {
                match result {
                    Ok(Frame::Resync { from_seq }) => prop_assert_eq!(from_seq, seq),
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }

        #[test]
        fn arbitrary_json_values_are_frames_or_typed_errors(value in arbitrary_json()) {
            let line = value.to_string();
            if let Err(e) = Frame::parse(&line) {
                prop_assert!(["bad_json", "wrong_proto"].contains(&e.code()), "{}", e);
            }
        }
    }

    /// JSON objects shaped a little like frames: a `type` from the real set or not, with fields
    /// of arbitrary kinds.
    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z_]{0,8}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let kind = prop_oneof![
            Just("hello"),
            Just("welcome"),
            Just("batch"),
            Just("subscribe"),
            Just("ping"),
            Just("pong"),
            Just("presence"),
            Just("resync"),
            Just("report"),
            Just("error"),
            Just("other"),
        ];
        (
            kind,
            proptest::collection::btree_map(
                prop_oneof![
                    Just("proto".to_owned()),
                    Just("instance".to_owned()),
                    Just("pid".to_owned()),
                    Just("kind".to_owned()),
                    Just("scope".to_owned()),
                    Just("from_seq".to_owned()),
                    Just("to_seq".to_owned()),
                    Just("changes".to_owned()),
                    Just("peers".to_owned()),
                    "[a-z]{1,6}",
                ],
                value,
                0..6,
            ),
        )
            .prop_map(|(kind, fields)| {
                let mut object: serde_json::Map<_, _> = fields.into_iter().collect();
                object.insert("type".into(), kind.into());
                serde_json::Value::Object(object)
            })
    }
}

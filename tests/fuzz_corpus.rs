//! The fuzz corpus (`fuzz/corpus`, grown by `make fuzz`) replayed through the readers it was
//! found with: every input gives a result or a typed error, without a panic, within a deadline.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How long one input may take before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn every_input_of_the_fuzz_corpus_gives_a_result_or_a_typed_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, reader) in tandem::fuzzing::TARGETS {
        let dir = root.join(name);
        let inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        assert!(!inputs.is_empty(), "{name}: no seeds in {}", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let (done, outcome) = mpsc::channel();
            std::thread::spawn(move || {
                let ran = std::panic::catch_unwind(|| reader(&data));
                let _ = done.send(ran.is_ok());
            });
            match outcome.recv_timeout(DEADLINE) {
                Ok(true) => {}
                Ok(false) => panic!("{name}: {} panics", input.display()),
                Err(_) => panic!("{name}: {} does not finish", input.display()),
            }
        }
    }
}

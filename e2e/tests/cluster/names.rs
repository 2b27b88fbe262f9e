//! CertDesk reads every subject as Kubernetes does, or refuses it: a differential test
//! of `shared::subject` against the cluster's own Go code (the API server's CSR
//! validation, the signer's authority, the client-certificate authenticator; see
//! `e2e/cluster/cmd/kube-identity`) on the corpus of `e2e::subjects`.

use e2e::kube_identity::{self, Answer};
use e2e::subjects::{self, Entry};

/// How one reader reads one CSR.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    Identity {
        username: String,
        groups: Vec<String>,
    },
    Refused(String),
}

fn certdesk(der: &[u8]) -> Reading {
    match shared::inspect::inspect_csr_der(der) {
        Ok(info) => Reading::Identity {
            username: info.common_name,
            groups: info.organizations,
        },
        Err(error) => Reading::Refused(error.code().to_owned()),
    }
}

/// Whether `ours` is allowed next to the cluster's answer: the same identity, or a
/// refusal. A CSR the cluster refuses must be refused; a certificate that names no user
/// may read as the empty username (which CertDesk's policy refuses).
fn agrees(go: &Answer, ours: &Reading) -> Result<(), String> {
    match (go.outcome.as_str(), ours) {
        (_, Reading::Refused(_)) => Ok(()),
        ("identity", Reading::Identity { username, groups })
            if *username == go.username && *groups == go.groups =>
        {
            Ok(())
        }
        ("unauthenticated", Reading::Identity { username, .. }) if username.is_empty() => Ok(()),
        (outcome, reading) => Err(format!(
            "{}: the cluster says {outcome} {:?} {:?} {}; CertDesk reads {reading:?}",
            go.name, go.username, go.groups, go.error
        )),
    }
}

/// Every disagreement between `reader` and the cluster on the corpus.
fn disagreements(
    corpus: &[Entry],
    answers: &[Answer],
    reader: fn(&[u8]) -> Reading,
) -> Vec<String> {
    assert_eq!(corpus.len(), answers.len(), "one answer per entry");
    corpus
        .iter()
        .zip(answers)
        .filter_map(|(entry, go)| {
            assert_eq!(entry.name, go.name);
            agrees(go, &reader(&entry.der)).err()
        })
        .collect()
}

fn cluster_answers(corpus: &[Entry]) -> Vec<Answer> {
    let entries: Vec<(&str, &[u8])> = corpus.iter().map(|e| (e.name, e.der.as_slice())).collect();
    kube_identity::read(&entries).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
#[ignore = "needs go"]
fn shared_reads_every_subject_as_the_api_server_does_or_refuses_it() {
    let corpus = subjects::corpus();
    let answers = cluster_answers(&corpus);
    let wrong = disagreements(&corpus, &answers, certdesk);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The corpus exercises what it is for: the cluster reads BMPString's terminator
    // away, takes the last of two common names, skips what is not a string, and
    // refuses what Go cannot parse or sign.
    let outcome = |name: &str| {
        answers
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(outcome("bmp-trailing-nul").username, "alice");
    assert_eq!(outcome("bmp-group-trailing-nul").groups, ["system:masters"]);
    assert_eq!(outcome("two-cns").username, "bob");
    assert_eq!(outcome("cn-integer-and-string").username, "alice");
    assert_eq!(
        outcome("t61-utf8-bytes").username,
        "Ã©",
        "T61String is Latin-1"
    );
    assert_eq!(outcome("printable-underscore").outcome, "refused");
    assert_eq!(outcome("bmp-surrogate-pair").outcome, "refused");
    assert_eq!(outcome("no-cn").outcome, "unauthenticated");
    let read = corpus
        .iter()
        .filter(|e| matches!(certdesk(&e.der), Reading::Identity { .. }))
        .count();
    assert!(read >= 20, "CertDesk reads only {read} of the corpus");
}

/// The reading of the backend before this test existed: BMPString decoded whole, the
/// terminator kept. The differential test must catch it.
fn keeps_the_terminator(der: &[u8]) -> Reading {
    use x509_parser::der_parser::asn1_rs::Tag;
    use x509_parser::prelude::FromDer as _;
    let reading = certdesk(der);
    let Ok((_, csr)) = x509_parser::certification_request::X509CertificationRequest::from_der(der)
    else {
        return reading;
    };
    let kept = csr
        .certification_request_info
        .subject
        .iter_common_name()
        .any(|cn| {
            cn.attr_value().tag() == Tag::BmpString && cn.attr_value().data.ends_with(&[0, 0])
        });
    match reading {
        Reading::Identity { username, groups } if kept => Reading::Identity {
            username: format!("{username}\0"),
            groups,
        },
        other => other,
    }
}

#[test]
#[ignore = "needs go"]
fn the_differential_test_catches_a_reader_that_keeps_the_bmp_terminator() {
    let corpus = subjects::corpus();
    let answers = cluster_answers(&corpus);
    let wrong = disagreements(&corpus, &answers, keeps_the_terminator);
    assert!(
        wrong.iter().any(|w| w.starts_with("bmp-trailing-nul:")),
        "{wrong:?}"
    );
}

#[test]
fn the_fuzz_seeds_hold_the_corpus() {
    let dir = subjects::seed_dir();
    let write = std::env::var_os("CERTDESK_WRITE_SUBJECT_CORPUS").is_some();
    for entry in subjects::corpus() {
        let path = dir.join(format!("subject-{}.der", entry.name));
        if write {
            std::fs::write(&path, &entry.der).unwrap();
        }
        let kept = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; write the corpus with CERTDESK_WRITE_SUBJECT_CORPUS=1 cargo test -p e2e --test cluster the_fuzz_seeds",
                path.display()
            )
        });
        assert!(
            kept == entry.der,
            "{} differs from e2e::subjects",
            path.display()
        );
    }
}

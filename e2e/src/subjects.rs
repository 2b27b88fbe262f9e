//! A corpus of certificate signing requests whose subjects are written in every way a
//! DER subject can be: each string type, NULs, invalid encodings, several or no common
//! names, multi-valued RDNs, values that are not strings, overlong and empty names.
//!
//! The requests are signed with one fixed Ed25519 key (Ed25519 signatures are
//! deterministic), so the corpus is the same bytes on every run: it is kept in
//! `shared/tests/fixtures/fuzz/csr/subject-*.der` as fuzz seeds, and the differential
//! test (`e2e/tests/cluster/names.rs`) reads it with CertDesk and with Kubernetes' own
//! Go code.

/// One request of the corpus.
#[derive(Debug, Clone)]
pub struct Entry {
    /// A file-name-safe slug.
    pub name: &'static str,
    /// The request, DER.
    pub der: Vec<u8>,
}

/// An attribute's type: common name, organization, or any other object identifier.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Cn,
    O,
    Ou,
    Email,
}

impl Kind {
    /// The DER of the object identifier.
    fn oid(self) -> &'static [u8] {
        match self {
            Kind::Cn => &[0x55, 0x04, 0x03],
            Kind::O => &[0x55, 0x04, 0x0a],
            Kind::Ou => &[0x55, 0x04, 0x0b],
            Kind::Email => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        }
    }
}

const UTF8: u8 = 0x0c;
const PRINTABLE: u8 = 0x13;
const T61: u8 = 0x14;
const IA5: u8 = 0x16;
const NUMERIC: u8 = 0x12;
const BMP: u8 = 0x1e;
const UNIVERSAL: u8 = 0x1c;
const VISIBLE: u8 = 0x1a;
const INTEGER: u8 = 0x02;
/// A context-specific primitive tag 12 (UTF8String's number in another class).
const CONTEXT_12: u8 = 0x8c;
/// UTF8String's number, constructed (a BER form DER forbids).
const CONSTRUCTED_UTF8: u8 = 0x2c;

/// One attribute: its type, the value's identifier octet, and the value's bytes.
type Attribute = (Kind, u8, Vec<u8>);

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn text(value: &str) -> Vec<u8> {
    value.as_bytes().to_vec()
}

fn cn(tag: u8, value: Vec<u8>) -> Vec<Attribute> {
    vec![(Kind::Cn, tag, value)]
}

/// The corpus: each entry's RDNs (each a set of attributes), in order.
fn subjects() -> Vec<(&'static str, Vec<Vec<Attribute>>)> {
    let one = |attributes: Vec<Attribute>| attributes.into_iter().map(|a| vec![a]).collect();
    let long = "a".repeat(1000);
    vec![
        (
            "utf8-cn-and-o",
            one(vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, UTF8, text("dev-team")),
            ]),
        ),
        ("printable-cn", one(cn(PRINTABLE, text("minjun")))),
        (
            "printable-star-ampersand",
            one(cn(PRINTABLE, text("a*b&c"))),
        ),
        ("printable-underscore", one(cn(PRINTABLE, text("a_b")))),
        ("printable-at-sign", one(cn(PRINTABLE, text("a@b")))),
        ("printable-nul", one(cn(PRINTABLE, text("alice\0")))),
        ("ia5-cn", one(cn(IA5, text("min_jun@example")))),
        ("ia5-high-byte", one(cn(IA5, vec![b'a', 0x80]))),
        ("numeric-digits", one(cn(NUMERIC, text("12 34")))),
        ("numeric-letter", one(cn(NUMERIC, text("12a")))),
        ("t61-ascii", one(cn(T61, text("minjun")))),
        ("t61-utf8-bytes", one(cn(T61, text("é")))),
        ("t61-latin1-byte", one(cn(T61, vec![b'r', 0xe9, b'n']))),
        ("t61-trailing-nul", one(cn(T61, text("alice\0")))),
        ("bmp-cn", one(cn(BMP, utf16("alice")))),
        ("bmp-trailing-nul", one(cn(BMP, utf16("alice\0")))),
        ("bmp-two-trailing-nuls", one(cn(BMP, utf16("alice\0\0")))),
        ("bmp-inner-nul", one(cn(BMP, utf16("ali\0ce")))),
        ("bmp-only-nul", one(cn(BMP, utf16("\0")))),
        ("bmp-odd-length", one(cn(BMP, vec![0, b'a', 0]))),
        (
            "bmp-lone-surrogate",
            one(cn(BMP, vec![0xd8, 0x3d, 0, b'a'])),
        ),
        ("bmp-surrogate-pair", one(cn(BMP, utf16("min😀")))),
        (
            "bmp-group-trailing-nul",
            one(vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, BMP, utf16("system:masters\0")),
            ]),
        ),
        ("utf8-invalid", one(cn(UTF8, vec![b'a', 0xff]))),
        ("utf8-trailing-nul", one(cn(UTF8, text("alice\0")))),
        ("utf8-empty-cn", one(cn(UTF8, Vec::new()))),
        ("utf8-bom", one(cn(UTF8, text("\u{feff}alice")))),
        ("utf8-zero-width", one(cn(UTF8, text("ali\u{200b}ce")))),
        ("utf8-bidi", one(cn(UTF8, text("\u{202e}ecila")))),
        ("utf8-control", one(cn(UTF8, text("a\u{7}b")))),
        ("utf8-spaces", one(cn(UTF8, text(" alice ")))),
        ("utf8-upper-case", one(cn(UTF8, text("ALICE")))),
        ("utf8-cyrillic", one(cn(UTF8, text("m\u{456}njun")))),
        ("utf8-overlong", one(cn(UTF8, text(&long)))),
        (
            "service-account",
            one(cn(
                UTF8,
                text("system:serviceaccount:kube-system:generic-garbage-collector"),
            )),
        ),
        (
            "two-cns",
            one(vec![
                (Kind::Cn, UTF8, text("alice")),
                (Kind::Cn, UTF8, text("bob")),
            ]),
        ),
        (
            "two-cns-one-rdn",
            vec![vec![
                (Kind::Cn, UTF8, text("alice")),
                (Kind::Cn, UTF8, text("bob")),
            ]],
        ),
        (
            "cn-and-o-one-rdn",
            vec![vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, UTF8, text("dev-team")),
            ]],
        ),
        (
            "three-groups",
            one(vec![
                (Kind::O, UTF8, text("a")),
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, PRINTABLE, text("b")),
                (Kind::O, BMP, utf16("c")),
            ]),
        ),
        (
            "repeated-group",
            one(vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, UTF8, text("qa")),
                (Kind::O, UTF8, text("qa")),
            ]),
        ),
        (
            "empty-group",
            one(vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, UTF8, Vec::new()),
            ]),
        ),
        ("no-cn", one(vec![(Kind::O, UTF8, text("dev-team"))])),
        ("empty-subject", Vec::new()),
        (
            "empty-rdn",
            vec![Vec::new(), vec![(Kind::Cn, UTF8, text("minjun"))]],
        ),
        (
            "other-attributes",
            one(vec![
                (Kind::Ou, UTF8, text("ops")),
                (Kind::Email, IA5, text("m@example.com")),
                (Kind::Cn, UTF8, text("minjun")),
            ]),
        ),
        ("cn-integer", one(cn(INTEGER, vec![1]))),
        (
            "cn-integer-and-string",
            one(vec![
                (Kind::Cn, INTEGER, vec![1]),
                (Kind::Cn, UTF8, text("alice")),
            ]),
        ),
        (
            "cn-universal-string",
            one(cn(UNIVERSAL, vec![0, 0, 0, b'a'])),
        ),
        ("cn-visible-string", one(cn(VISIBLE, text("alice")))),
        ("cn-context-specific", one(cn(CONTEXT_12, text("alice")))),
        (
            "group-context-specific",
            one(vec![
                (Kind::Cn, UTF8, text("minjun")),
                (Kind::O, CONTEXT_12, text("system:masters")),
            ]),
        ),
        (
            "cn-constructed",
            one(cn(CONSTRUCTED_UTF8, tlv(UTF8, b"alice"))),
        ),
    ]
}

/// A DER tag-length-value.
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = value.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

fn name(rdns: &[Vec<Attribute>]) -> Vec<u8> {
    let mut sequence = Vec::new();
    for rdn in rdns {
        // A SET OF is sorted in DER; these sets are written in the given order, as a
        // careless encoder would, which every reader here accepts.
        let mut set = Vec::new();
        for (kind, tag, value) in rdn {
            let mut attribute = tlv(0x06, kind.oid());
            attribute.extend(tlv(*tag, value));
            set.extend(tlv(0x30, &attribute));
        }
        sequence.extend(tlv(0x31, &set));
    }
    tlv(0x30, &sequence)
}

/// The corpus's one key: a fixed Ed25519 seed, so every run writes the same bytes.
fn key() -> ring::signature::Ed25519KeyPair {
    ring::signature::Ed25519KeyPair::from_seed_unchecked(&[7; 32])
        .expect("a 32-byte seed is an Ed25519 key")
}

/// Returns a CSR for `rdns`, signed with the corpus key.
fn request(key: &ring::signature::Ed25519KeyPair, rdns: &[Vec<Attribute>]) -> Vec<u8> {
    use ring::signature::KeyPair as _;
    const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
    let mut spki = tlv(0x30, ED25519);
    let mut bits = vec![0];
    bits.extend_from_slice(key.public_key().as_ref());
    spki.extend(tlv(0x03, &bits));
    let mut info = tlv(0x02, &[0]);
    info.extend(name(rdns));
    info.extend(tlv(0x30, &spki));
    info.extend(tlv(0xa0, &[]));
    let info = tlv(0x30, &info);
    let signature = key.sign(&info);
    let mut signature_bits = vec![0];
    signature_bits.extend_from_slice(signature.as_ref());
    let mut csr = info;
    csr.extend(tlv(0x30, ED25519));
    csr.extend(tlv(0x03, &signature_bits));
    tlv(0x30, &csr)
}

/// Returns the corpus, the same bytes every time.
pub fn corpus() -> Vec<Entry> {
    let key = key();
    subjects()
        .into_iter()
        .map(|(name, rdns)| Entry {
            name,
            der: request(&key, &rdns),
        })
        .collect()
}

/// A CSR whose only subject attribute is a common name written as a BMPString of
/// `name` (a trailing `\0` in `name` is the terminator Go drops), signed with the
/// corpus key ([`key_pem`]), as PEM: a name the API server reads otherwise than its
/// bytes show.
pub fn bmp_common_name_pem(name: &str) -> String {
    let der = request(&key(), &[vec![(Kind::Cn, BMP, utf16(name))]]);
    pem("CERTIFICATE REQUEST", &der)
}

/// The corpus key's private key, PKCS#8 PEM (for a client certificate issued for one
/// of these requests).
pub fn key_pem() -> String {
    // PKCS#8 v1 of an Ed25519 seed (RFC 8410): the fixed prefix, then the 32 bytes.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[7; 32]);
    pem("PRIVATE KEY", &der)
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Where the corpus is kept as fuzz seeds: `<dir>/subject-<name>.der`.
pub fn seed_dir() -> std::path::PathBuf {
    crate::repo_root().join("shared/tests/fixtures/fuzz/csr")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_corpus_is_large_and_its_names_unique() {
        let corpus = super::corpus();
        assert!(corpus.len() >= 40, "{}", corpus.len());
        let names: std::collections::BTreeSet<_> = corpus.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), corpus.len());
        assert_eq!(super::corpus()[0].der, corpus[0].der, "deterministic");
    }
}

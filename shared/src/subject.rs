//! A subject's names exactly as Kubernetes reads them — the one place CertDesk decodes
//! the username and groups of a CSR or certificate.
//!
//! Kubernetes' signer (kube-controller-manager) parses a CSR with Go's `crypto/x509`,
//! copies the subject's common name and organizations into the certificate (written
//! again as PrintableString or UTF8String), and the API server authenticates the
//! certificate as the user of its common name in the groups of its organizations. So
//! the name that matters is the string *Go* reads from each value. This module reads
//! each value the way Go does, or refuses the value where Go's reading could differ
//! from a person's:
//!
//! | type | Go | here |
//! | --- | --- | --- |
//! | UTF8String | valid UTF-8, kept as is | the same |
//! | PrintableString | `A–Z a–z 0–9 ' ( ) + , - . / : = ?`, space, and `*` `&` | the same |
//! | IA5String | bytes below 0x80 | the same |
//! | NumericString | digits and space | the same |
//! | T61String | each byte as Latin-1 (`c3 a9` is `Ã©`, not `é`) | the same |
//! | BMPString | UCS-2: even length, **one trailing U+0000 dropped**, surrogates and the noncharacters U+FDD0–U+FDEF, U+FFFE, U+FFFF refused | the same |
//! | anything else (other string types, non-strings, non-universal or constructed values) | skipped, as if absent | refused |
//!
//! A differential test (`e2e/tests/cluster/names.rs`) runs the signer's and the API
//! server's own Go code on a corpus of CSRs (`shared/tests/fixtures/fuzz/csr/subject-*`)
//! and requires this module's reading to equal Go's, or refuse.
//!
//! ```
//! use shared::subject::read_string;
//! use x509_parser::der_parser::asn1_rs::{Any, Class, Header, Tag};
//!
//! // "alice" and a NUL as a BMPString: Go drops the terminator, and so do we.
//! let bytes = [0, b'a', 0, b'l', 0, b'i', 0, b'c', 0, b'e', 0, 0];
//! let value = Any::new(Header::new(Class::Universal, false, Tag::BmpString, bytes.len().into()), &bytes);
//! assert_eq!(read_string(&value).as_deref(), Ok("alice"));
//! ```

use x509_parser::der_parser::asn1_rs::{Any, Class, Oid, Tag};
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
use x509_parser::x509::X509Name;

use crate::inspect::{InspectError, SubjectAttribute};

/// Why a subject value is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// Not a universal, primitive value of a string type Go reads (Go skips it).
    NotAString,
    /// Not valid in its declared string type (Go refuses the whole request).
    Invalid,
}

/// The subject attributes Kubernetes reads, and the rest, each in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedName {
    /// Every common name (the API server takes the last as the username).
    pub common_names: Vec<String>,
    /// Every organization: the groups.
    pub organizations: Vec<String>,
    /// Every other attribute (Kubernetes ignores them).
    pub others: Vec<SubjectAttribute>,
}

/// Flattens a distinguished name into its attributes, in order (every value of every
/// relative distinguished name), reading each value with [`read_string`]. Any value
/// that is not read is refused as [`InspectError::SubjectValueInvalid`].
pub fn decode_name(name: &X509Name<'_>) -> Result<DecodedName, InspectError> {
    let mut decoded = DecodedName::default();
    for attribute in name.iter_attributes() {
        let oid = attribute.attr_type();
        let short_name = attribute_name(oid);
        let value =
            read_string(attribute.attr_value()).map_err(|_| InspectError::SubjectValueInvalid {
                attribute: short_name.clone(),
            })?;
        if *oid == OID_X509_COMMON_NAME {
            decoded.common_names.push(value);
        } else if *oid == OID_X509_ORGANIZATION_NAME {
            decoded.organizations.push(value);
        } else {
            decoded.others.push(SubjectAttribute {
                name: short_name,
                oid: oid.to_id_string(),
                value,
            });
        }
    }
    Ok(decoded)
}

/// Reads one attribute value as Go's `crypto/x509` (and so the API server) does, or
/// says why it is not read (see the module's table).
pub fn read_string(value: &Any<'_>) -> Result<String, Unreadable> {
    if value.class() != Class::Universal || value.header.is_constructed() {
        return Err(Unreadable::NotAString);
    }
    let bytes = value.data;
    let all = |allowed: fn(u8) -> bool| bytes.iter().all(|b| allowed(*b));
    match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| Unreadable::Invalid),
        Tag::PrintableString if all(go_printable) => Ok(ascii(bytes)),
        Tag::Ia5String if all(|b| b.is_ascii()) => Ok(ascii(bytes)),
        Tag::NumericString if all(|b| b.is_ascii_digit() || b == b' ') => Ok(ascii(bytes)),
        Tag::PrintableString | Tag::Ia5String | Tag::NumericString => Err(Unreadable::Invalid),
        Tag::T61String => Ok(bytes.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => bmp_string(bytes),
        _ => Err(Unreadable::NotAString),
    }
}

/// Go's `isPrintable` as its parsers apply it: PrintableString's alphabet, and the `*`
/// and `&` that real certificates use.
fn go_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'\''
                | b'('
                | b')'
                | b'+'
                | b','
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b'='
                | b'?'
                | b'*'
                | b'&'
        )
}

fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// A BMPString as Go reads it: UCS-2 (big-endian code units of the Basic Multilingual
/// Plane) of even length, with one trailing U+0000 (a "terminator") dropped; a
/// surrogate or a noncharacter makes the string invalid.
fn bmp_string(bytes: &[u8]) -> Result<String, Unreadable> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Unreadable::Invalid);
    }
    let bytes = match bytes {
        [rest @ .., 0, 0] => rest,
        all => all,
    };
    bytes
        .chunks_exact(2)
        .map(|pair| {
            let unit = u32::from(u16::from_be_bytes([pair[0], pair[1]]));
            let noncharacter = matches!(unit, 0xfdd0..=0xfdef | 0xfffe | 0xffff);
            char::from_u32(unit)
                .filter(|_| !noncharacter)
                .ok_or(Unreadable::Invalid)
        })
        .collect()
}

/// The attribute's short name (`CN`, `O`, `OU`…), or its dotted object identifier.
pub fn attribute_name(oid: &Oid<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    x509_parser::objects::oid2abbrev(oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::der_parser::asn1_rs::Header;

    fn value(tag: Tag, bytes: &[u8]) -> Result<String, Unreadable> {
        read_string(&Any::new(
            Header::new(Class::Universal, false, tag, bytes.len().into()),
            bytes,
        ))
    }

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn a_bmp_string_loses_one_terminator_as_in_go() {
        assert_eq!(
            value(Tag::BmpString, &utf16("alice\0")).as_deref(),
            Ok("alice")
        );
        assert_eq!(
            value(Tag::BmpString, &utf16("alice\0\0")).as_deref(),
            Ok("alice\0")
        );
        assert_eq!(value(Tag::BmpString, &utf16("a\0b")).as_deref(), Ok("a\0b"));
        assert_eq!(value(Tag::BmpString, &utf16("\0")).as_deref(), Ok(""));
        assert_eq!(value(Tag::BmpString, b"\0a\0"), Err(Unreadable::Invalid));
        for refused in [
            &[0xd8, 0x00][..],
            &utf16("😀"),
            &[0xff, 0xfe],
            &[0xfd, 0xd0],
        ] {
            assert_eq!(
                value(Tag::BmpString, refused),
                Err(Unreadable::Invalid),
                "{refused:?}"
            );
        }
        assert_eq!(value(Tag::BmpString, &utf16("한글")).as_deref(), Ok("한글"));
    }

    #[test]
    fn the_ascii_types_take_only_their_alphabets() {
        assert_eq!(
            value(Tag::PrintableString, b"a*b&c").as_deref(),
            Ok("a*b&c")
        );
        for refused in [&b"a_b"[..], b"a@b", b"a\0", b"\xe9"] {
            assert_eq!(
                value(Tag::PrintableString, refused),
                Err(Unreadable::Invalid)
            );
        }
        assert_eq!(value(Tag::NumericString, b"12 3").as_deref(), Ok("12 3"));
        assert_eq!(value(Tag::NumericString, b"12a"), Err(Unreadable::Invalid));
        assert_eq!(value(Tag::Ia5String, b"a@b_c").as_deref(), Ok("a@b_c"));
        assert_eq!(value(Tag::Ia5String, b"\x80"), Err(Unreadable::Invalid));
    }

    #[test]
    fn t61_is_latin_1_as_in_go() {
        assert_eq!(value(Tag::T61String, "é".as_bytes()).as_deref(), Ok("Ã©"));
        assert_eq!(value(Tag::T61String, b"r\xe9n").as_deref(), Ok("rén"));
        assert_eq!(value(Tag::Utf8String, b"\xe9"), Err(Unreadable::Invalid));
    }

    #[test]
    fn what_go_skips_is_refused() {
        for tag in [
            Tag::UniversalString,
            Tag::VisibleString,
            Tag::Integer,
            Tag::GeneralString,
        ] {
            assert_eq!(value(tag, b"admin"), Err(Unreadable::NotAString), "{tag:?}");
        }
        let context = Any::new(
            Header::new(
                Class::ContextSpecific,
                false,
                Tag::Utf8String,
                5usize.into(),
            ),
            b"admin",
        );
        assert_eq!(read_string(&context), Err(Unreadable::NotAString));
        let constructed = Any::new(
            Header::new(Class::Universal, true, Tag::Utf8String, 5usize.into()),
            b"admin",
        );
        assert_eq!(read_string(&constructed), Err(Unreadable::NotAString));
    }
}

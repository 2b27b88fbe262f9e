//! A YAML writer sized for the kubeconfig's fixed shape: a `serde::Serializer` for
//! structs, maps, sequences, strings, booleans and integers, written in block style the
//! way kubectl writes a kubeconfig (plain one-line scalars where YAML reads them back
//! as the same string, double-quoted with escapes everywhere else).
//!
//! It is still a serializer — a value is never pasted into a template, so a username
//! like `a"\nusers:` stays one string — but it carries none of a general YAML library's
//! weight into the requester's page (see docs/benchmarks.md). Every string it writes is
//! wiped from memory when the intermediate tree is dropped: a kubeconfig holds a
//! private key.

use std::fmt::{self, Display};

use serde::ser::{self, Serialize};
use zeroize::Zeroizing;

/// Why a value could not be written.
#[derive(Debug)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

/// Writes `value` as a YAML document; the text is wiped when dropped.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<Zeroizing<String>, Error> {
    let node = value.serialize(NodeSerializer)?;
    let mut out = Zeroizing::new(String::new());
    match &node {
        Node::Map(entries) if !entries.is_empty() => write_map(entries, 0, &mut out),
        other => {
            return Err(Error(format!(
                "a kubeconfig is a non-empty mapping, not {}",
                other.kind()
            )));
        }
    }
    Ok(out)
}

/// A value on its way to text.
enum Node {
    /// A scalar, already in its written form (plain or double-quoted).
    Scalar(Zeroizing<String>),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in field order.
    Map(Vec<(Zeroizing<String>, Node)>),
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Self::Scalar(_) => "a scalar",
            Self::Seq(_) => "a sequence",
            Self::Map(_) => "a mapping",
        }
    }
}

fn write_map(entries: &[(Zeroizing<String>, Node)], indent: usize, out: &mut String) {
    for (key, value) in entries {
        push_indent(out, indent);
        out.push_str(key);
        out.push(':');
        write_value(value, indent, out);
    }
}

/// Writes what follows `key:` (or `-`): a scalar on the same line, a collection below.
fn write_value(value: &Node, indent: usize, out: &mut String) {
    match value {
        Node::Scalar(text) => {
            out.push(' ');
            out.push_str(text);
            out.push('\n');
        }
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(entries) => {
            out.push('\n');
            write_map(entries, indent + 2, out);
        }
        // kubectl's style: a sequence's dashes at its key's indentation.
        Node::Seq(items) => {
            out.push('\n');
            write_seq(items, indent, out);
        }
    }
}

fn write_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        push_indent(out, indent);
        out.push('-');
        match item {
            // A mapping's first entry shares the dash's line, the rest align with it.
            Node::Map(entries) if !entries.is_empty() => {
                let mut block = Zeroizing::new(String::new());
                write_map(entries, indent + 2, &mut block);
                out.push(' ');
                out.push_str(&block[indent + 2..]);
            }
            other => write_value(other, indent + 2, out),
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// The written form of a string: plain when YAML reads the plain form back as this very
/// string (letters, digits and `-_./:@+=`, starting with a letter, no `:` at the end,
/// not a word YAML 1.1 reads as a boolean or null), double-quoted otherwise.
fn scalar(value: &str) -> Zeroizing<String> {
    if is_plain_safe(value) {
        Zeroizing::new(value.to_owned())
    } else {
        double_quoted(value)
    }
}

fn is_plain_safe(value: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf",
    ];
    value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+=".contains(&b))
        && !value.ends_with(':')
        && !WORDS.iter().any(|word| value.eq_ignore_ascii_case(word))
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character YAML does not
/// allow there as it is (C0 and C1 controls, DEL) or that a reader may treat as a line
/// break or a byte-order mark (U+2028, U+2029, U+FEFF), written as an escape.
fn double_quoted(value: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(value.len() + 2));
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 || ('\u{7f}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unsupported(what: &str) -> Error {
    Error(format!("a kubeconfig holds no {what}"))
}

/// Turns a value into a [`Node`].
struct NodeSerializer;

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = ser::Impossible<Node, Error>;
    type SerializeTupleStruct = ser::Impossible<Node, Error>;
    type SerializeTupleVariant = ser::Impossible<Node, Error>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Node, Error>;

    fn serialize_bool(self, v: bool) -> Result<Node, Error> {
        Ok(Node::Scalar(Zeroizing::new(v.to_string())))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Node, Error> {
        Ok(Node::Scalar(Zeroizing::new(v.to_string())))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Node, Error> {
        Ok(Node::Scalar(Zeroizing::new(v.to_string())))
    }
    fn serialize_f32(self, _: f32) -> Result<Node, Error> {
        Err(unsupported("numbers with fractions"))
    }
    fn serialize_f64(self, _: f64) -> Result<Node, Error> {
        Err(unsupported("numbers with fractions"))
    }
    fn serialize_char(self, v: char) -> Result<Node, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Node, Error> {
        Ok(Node::Scalar(scalar(v)))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Node, Error> {
        Err(unsupported("raw bytes"))
    }
    fn serialize_none(self) -> Result<Node, Error> {
        Ok(Node::Scalar(Zeroizing::new("null".to_owned())))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Node, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Node, Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Node, Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Node, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Node, Error> {
        Err(unsupported("enum variants with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(unsupported("tuples"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(unsupported("tuples"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(unsupported("enum variants with data"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(unsupported("enum variants with data"))
    }
}

struct SeqBuilder(Vec<Node>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Node;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.push(value.serialize(NodeSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Node, Error> {
        Ok(Node::Seq(self.0))
    }
}

struct MapBuilder {
    entries: Vec<(Zeroizing<String>, Node)>,
    key: Option<Zeroizing<String>>,
}

impl MapBuilder {
    fn push(&mut self, key: Zeroizing<String>, value: Node) {
        self.entries.push((key, value));
    }
}

/// A mapping key: only strings (a kubeconfig's keys are field names).
fn key_of<T: Serialize + ?Sized>(key: &T) -> Result<Zeroizing<String>, Error> {
    match key.serialize(NodeSerializer)? {
        Node::Scalar(text) => Ok(text),
        other => Err(Error(format!(
            "a mapping key must be a string, not {}",
            other.kind()
        ))),
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Node;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key_of(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error("a mapping value without its key".to_owned()))?;
        let value = value.serialize(NodeSerializer)?;
        self.push(key, value);
        Ok(())
    }

    fn end(self) -> Result<Node, Error> {
        Ok(Node::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Node;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = value.serialize(NodeSerializer)?;
        self.push(scalar(key), value);
        Ok(())
    }

    fn end(self) -> Result<Node, Error> {
        Ok(Node::Map(self.entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Entry<'a> {
        name: &'a str,
        value: &'a str,
    }

    #[derive(serde::Serialize)]
    struct Doc<'a> {
        #[serde(rename = "apiVersion")]
        api_version: &'a str,
        entries: Vec<Entry<'a>>,
        empty: Vec<Entry<'a>>,
    }

    #[test]
    fn writes_block_style_with_kubectls_sequence_indentation() {
        let doc = Doc {
            api_version: "v1",
            entries: vec![
                Entry {
                    name: "dev",
                    value: "https://127.0.0.1:6443",
                },
                Entry {
                    name: "a b",
                    value: "LS0tLS1CRUdJTg==",
                },
            ],
            empty: vec![],
        };
        let text = to_string(&doc).unwrap();
        assert_eq!(
            text.as_str(),
            "apiVersion: v1\nentries:\n- name: dev\n  value: https://127.0.0.1:6443\n- name: \"a b\"\n  value: LS0tLS1CRUdJTg==\nempty: []\n"
        );
    }

    #[test]
    fn every_hostile_string_reads_back_as_itself() {
        let hostile = [
            "",
            "true",
            "False",
            "NULL",
            "~",
            "y",
            "no",
            "1",
            "0x1F",
            "1e3",
            ".inf",
            "- a",
            ": x",
            "a: b",
            "a:",
            "#c",
            "a #b",
            "'",
            "\"",
            "\\",
            "{",
            "[a]",
            "*a",
            "&a",
            "!t",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "a\nb",
            "a\r\nb",
            "\t",
            "  lead",
            "trail  ",
            "é",
            "🙂",
            "\u{2028}",
            "\u{2029}",
            "\u{85}",
            "\u{feff}x",
            "\u{0}",
            "\u{7f}",
            "\u{1b}[31m",
            "a\"\nusers:\n- name: evil",
            "---",
            "...",
            "? k",
            "=",
            "<<",
        ];
        for value in hostile {
            let mut map = BTreeMap::new();
            map.insert("value", value);
            let text = to_string(&map).unwrap();
            let back: BTreeMap<String, String> = serde_saphyr::from_str(&text)
                .unwrap_or_else(|e| panic!("{value:?} → {text:?}: {e}"));
            assert_eq!(back["value"], value, "{text:?}");
            assert_eq!(back.len(), 1, "{text:?}");
        }
    }

    #[test]
    fn what_a_kubeconfig_cannot_hold_is_an_error() {
        assert!(to_string(&1.5f64).is_err());
        assert!(to_string(&"scalar").is_err());
        assert!(to_string(&BTreeMap::<String, String>::new()).is_err());
    }
}

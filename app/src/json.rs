//! A small JSON reader and writer for the form's entry point, with the (de)serialisation of the few values it
//! exchanges written by hand: the draft and the answer kept in session storage, the search answers, the notice,
//! the upload's and the submission's answers, the error envelope, and the request it sends.
//!
//! Why not `serde_json`: serde's derives are monomorphised per type and per format, and the draft alone (33
//! members) cost some 33 kB of wasm to read back; with the JSON parser, number and error formatting, serde was the
//! largest single item of the form's download after its own views. Here, one untyped [`Value`] tree and plain
//! functions per type: the wire format is the very one serde writes (tests compare both, natively), so the server,
//! and drafts kept by an earlier version of the app, read the same.
//!
//! Numbers are kept as their text and read as integers on demand: no float parsing or printing is linked (the
//! form's numbers are ids, sizes and a 64-bit hash, which a float would round).

use std::collections::BTreeMap;

use shared::api::{
    BirthPlaceInput, CommuneLibreInput, DocumentUploaded, EmbedMessage, ErrorBody, ErrorEnvelope,
    Notice, NoticeSection, PreRegistrationCreated, PreRegistrationRequest, Site, SituationInput,
};
use shared::error::FieldErrors;

/// A JSON value. Objects keep their members in order (duplicates: the first wins).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (validated by the parser).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// The value is not what the reader expects (a missing member, another type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid;

pub type Read<T> = Result<T, Invalid>;

/// Deeper nesting is refused (no value the app reads is deeper than 4).
const MAX_DEPTH: u32 = 64;

/// Parses `text` (one JSON value, surrounded by whitespace at most).
pub fn parse(text: &str) -> Read<Value> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.at == parser.bytes.len() {
        Ok(value)
    } else {
        Err(Invalid)
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.space();
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn word(&mut self, word: &str, value: Value) -> Read<Value> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(Invalid)
        }
    }

    fn value(&mut self, depth: u32) -> Read<Value> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.space();
        match self.peek().ok_or(Invalid)? {
            b'n' => self.word("null", Value::Null),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(Invalid);
                        }
                    }
                }
                Ok(Value::Array(items))
            }
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.space();
                        if self.peek() != Some(b'"') {
                            return Err(Invalid);
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(Invalid);
                        }
                        members.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(Invalid);
                        }
                    }
                }
                Ok(Value::Object(members))
            }
            _ => self.number(),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Read<Value> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.at += 1;
            }
            p.at - from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let first = self.peek();
        let integer = digits(self);
        if integer == 0 || (integer > 1 && first == Some(b'0')) {
            return Err(Invalid);
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(Invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(Invalid);
            }
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).map_err(|_| Invalid)?;
        Ok(Value::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Read<u32> {
        let hex = self.bytes.get(self.at..self.at + 4).ok_or(Invalid)?;
        self.at += 4;
        hex.iter().try_fold(0, |code, &b| {
            let digit = char::from(b).to_digit(16).ok_or(Invalid)?;
            Ok(code * 16 + digit)
        })
    }

    /// A string, the opening quote at `self.at`.
    fn string(&mut self) -> Read<String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let byte = self.peek().ok_or(Invalid)?;
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escape = self.peek().ok_or(Invalid)?;
                    self.at += 1;
                    let simple = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => 0,
                        _ => return Err(Invalid),
                    };
                    if escape != b'u' {
                        out.push(simple);
                        continue;
                    }
                    let mut code = self.hex4()?;
                    if (0xD800..0xDC00).contains(&code) {
                        // A high surrogate: its low half must follow.
                        if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(Invalid);
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(Invalid);
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    let c = char::from_u32(code).ok_or(Invalid)?;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..0x20 => return Err(Invalid),
                _ => out.push(byte),
            }
        }
        // The input is a `&str` and escapes add whole characters: valid UTF-8.
        String::from_utf8(out).map_err(|_| Invalid)
    }
}

impl Value {
    /// The members of an object.
    pub fn object(&self) -> Read<Object<'_>> {
        match self {
            Self::Object(members) => Ok(Object(members)),
            _ => Err(Invalid),
        }
    }

    pub fn array(&self) -> Read<&[Value]> {
        match self {
            Self::Array(items) => Ok(items),
            _ => Err(Invalid),
        }
    }

    pub fn string(&self) -> Read<String> {
        match self {
            Self::String(s) => Ok(s.clone()),
            _ => Err(Invalid),
        }
    }

    pub fn bool(&self) -> Read<bool> {
        match self {
            Self::Bool(b) => Ok(*b),
            _ => Err(Invalid),
        }
    }

    pub fn i64(&self) -> Read<i64> {
        match self {
            Self::Number(n) => n.parse().map_err(|_| Invalid),
            _ => Err(Invalid),
        }
    }

    pub fn u64(&self) -> Read<u64> {
        match self {
            Self::Number(n) => n.parse().map_err(|_| Invalid),
            _ => Err(Invalid),
        }
    }

    /// A list read item by item.
    pub fn list<T>(&self, read: fn(&Value) -> Read<T>) -> Read<Vec<T>> {
        self.array()?.iter().map(read).collect()
    }

    /// `null` is `None`.
    pub fn nullable<T>(&self, read: fn(&Value) -> Read<T>) -> Read<Option<T>> {
        match self {
            Self::Null => Ok(None),
            value => read(value).map(Some),
        }
    }
}

/// The members of an object, read as serde's derives read them: a missing `Option` is `None`, a missing member
/// with a default is its default, anything else missing or of another type is [`Invalid`]; unknown members are
/// ignored.
#[derive(Clone, Copy)]
pub struct Object<'a>(&'a [(String, Value)]);

impl<'a> Object<'a> {
    pub fn get(self, key: &str) -> Option<&'a Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A required member.
    pub fn req<T>(self, key: &str, read: fn(&Value) -> Read<T>) -> Read<T> {
        read(self.get(key).ok_or(Invalid)?)
    }

    /// A member that may be missing or `null`.
    pub fn opt<T>(self, key: &str, read: fn(&Value) -> Read<T>) -> Read<Option<T>> {
        self.get(key).map_or(Ok(None), |v| v.nullable(read))
    }

    /// A member that takes its default when missing (`#[serde(default)]`).
    pub fn or_default<T: Default>(self, key: &str, read: fn(&Value) -> Read<T>) -> Read<T> {
        self.get(key).map_or_else(|| Ok(T::default()), read)
    }

    pub fn string(self, key: &str) -> Read<String> {
        self.req(key, Value::string)
    }

    pub fn opt_string(self, key: &str) -> Read<Option<String>> {
        self.opt(key, Value::string)
    }

    pub fn string_or_default(self, key: &str) -> Read<String> {
        self.or_default(key, Value::string)
    }

    pub fn strings_or_default(self, key: &str) -> Read<Vec<String>> {
        self.or_default(key, |v| v.list(Value::string))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing.

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes an object member by member, in the order of the calls.
pub struct ObjectWriter {
    out: String,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    pub fn new() -> Self {
        Self {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    /// A member already written as JSON.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_string(self.key(key), value);
        self
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.str(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        self.raw(key, &value.to_string())
    }

    pub fn uint(&mut self, key: &str, value: u64) -> &mut Self {
        self.raw(key, &value.to_string())
    }

    pub fn strs(&mut self, key: &str, values: &[String]) -> &mut Self {
        let out = self.key(key);
        out.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, value);
        }
        out.push(']');
        self
    }

    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The wire values of `shared::api` the form exchanges.

pub fn error_envelope(value: &Value) -> Read<ErrorEnvelope> {
    let error = value.object()?.req("error", |v| {
        let o = v.object()?;
        let fields = match o.get("fields") {
            None => FieldErrors::new(),
            Some(fields) => {
                let mut map = BTreeMap::new();
                for (key, messages) in fields.object()?.0 {
                    map.insert(key.clone(), messages.list(Value::string)?);
                }
                map.into()
            }
        };
        Ok(ErrorBody {
            code: o.string("code")?,
            message: o.string("message")?,
            fields,
        })
    })?;
    Ok(ErrorEnvelope { error })
}

pub fn site(value: &Value) -> Read<Site> {
    let o = value.object()?;
    Ok(Site {
        id: o.req("id", Value::i64)?,
        nom: o.string("nom")?,
        finess: o.opt_string("finess")?,
        siret: o.opt_string("siret")?,
        commune: o.opt_string("commune")?,
        demo: o.req("demo", Value::bool)?,
    })
}

pub fn notice(value: &Value) -> Read<Notice> {
    let o = value.object()?;
    Ok(Notice {
        title: o.string("title")?,
        version: o.string("version")?,
        sections: o.req("sections", |v| {
            v.list(|s| {
                let s = s.object()?;
                Ok(NoticeSection {
                    heading: s.string("heading")?,
                    paragraphs: s.req("paragraphs", |p| p.list(Value::string))?,
                })
            })
        })?,
    })
}

pub fn pre_registration_created(value: &Value) -> Read<PreRegistrationCreated> {
    let o = value.object()?;
    Ok(PreRegistrationCreated {
        reference: o.string("reference")?,
        status_url: o.string("status_url")?,
        status_token: o.string_or_default("status_token")?,
    })
}

pub fn write_pre_registration_created(created: &PreRegistrationCreated) -> String {
    ObjectWriter::new()
        .str("reference", &created.reference)
        .str("status_url", &created.status_url)
        .str("status_token", &created.status_token)
        .finish()
}

pub fn document_uploaded(value: &Value) -> Read<DocumentUploaded> {
    let o = value.object()?;
    Ok(DocumentUploaded {
        id: o.string("id")?,
        content_type: o.string("content_type")?,
        size: o.req("size", Value::u64)?,
    })
}

/// `POST /api/v1/pre-registrations`'s body (the input's members flattened in, as serde writes them).
pub fn write_pre_registration_request(request: &PreRegistrationRequest) -> String {
    let input = &request.input;
    let BirthPlaceInput {
        commune_cog,
        pays_cog,
        ville_etrangere,
    } = &input.lieu_naissance;
    let lieu = ObjectWriter::new()
        .opt_str("commune_cog", commune_cog.as_deref())
        .opt_str("pays_cog", pays_cog.as_deref())
        .opt_str("ville_etrangere", ville_etrangere.as_deref())
        .finish();
    let SituationInput {
        finess,
        nom_exercice,
        prenom_exercice,
        metier,
        role,
        mode_exercice,
        date_prise_fonction,
    } = &input.situation;
    let situation = ObjectWriter::new()
        .str("finess", finess)
        .str("nom_exercice", nom_exercice)
        .str("prenom_exercice", prenom_exercice)
        .str("metier", metier)
        .str("role", role)
        .str("mode_exercice", mode_exercice)
        .str("date_prise_fonction", date_prise_fonction)
        .finish();
    let mut out = ObjectWriter::new();
    out.str("civilite", &input.civilite)
        .str("nom_naissance", &input.nom_naissance)
        .strs("prenoms", &input.prenoms)
        .str("date_naissance", &input.date_naissance)
        .raw("lieu_naissance", &lieu)
        .str("email", &input.email)
        .str("email_confirmation", &input.email_confirmation)
        .str("mobile", &input.mobile)
        .raw("situation", &situation)
        .opt_str("rpps_existant", input.rpps_existant.as_deref())
        .str("notice_version", &input.notice_version);
    match request.site_id {
        Some(id) => out.int("site_id", id),
        None => out.raw("site_id", "null"),
    };
    out.str("document_id", &request.document_id);
    match &request.commune_libre {
        Some(CommuneLibreInput { nom, departement }) => {
            let libre = ObjectWriter::new()
                .str("nom", nom)
                .str("departement", departement)
                .finish();
            out.raw("commune_libre", &libre)
        }
        None => out.raw("commune_libre", "null"),
    };
    out.finish()
}

/// The message posted to the host page (`{"type":"enrole:step","step":3}`).
pub fn write_embed_message(message: &EmbedMessage) -> String {
    let mut out = ObjectWriter::new();
    match message {
        EmbedMessage::Loaded { height } => out
            .str("type", "enrole:loaded")
            .uint("height", u64::from(*height)),
        EmbedMessage::Resize { height } => out
            .str("type", "enrole:resize")
            .uint("height", u64::from(*height)),
        EmbedMessage::Step { step } => out
            .str("type", "enrole:step")
            .uint("step", u64::from(*step)),
        EmbedMessage::Submitted { reference } => out
            .str("type", "enrole:submitted")
            .str("reference", reference),
    };
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both readings of `text` agree.
    fn same_as_serde(text: &str) {
        let ours = parse(text).map(|v| to_serde(&v));
        let theirs = serde_json::from_str::<serde_json::Value>(text).map_err(|_| Invalid);
        assert_eq!(ours, theirs, "{text}");
    }

    fn to_serde(value: &Value) -> serde_json::Value {
        match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => serde_json::from_str(n).expect("a number"),
            Value::String(s) => s.clone().into(),
            Value::Array(items) => items.iter().map(to_serde).collect(),
            Value::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members.iter().rev() {
                    map.insert(k.clone(), to_serde(v));
                }
                map.into()
            }
        }
    }

    #[test]
    fn parses_what_serde_json_parses() {
        for text in [
            r#"{"a":[1,-2,3.5e2,0,true,false,null],"b":{"c":"d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}"#,
            " [ ] ",
            "{}",
            r#""Montréjeau · 31210""#,
            "18446744073709551615",
            "-9223372036854775808",
            "0.5",
        ] {
            same_as_serde(text);
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "tru",
            "\"a",
            "\"\\x\"",
            "\"\u{1}\"",
            "{a:1}",
            "[1] 2",
            "\"\\ud83d\"",
            "1e",
        ] {
            assert_eq!(parse(text), Err(Invalid), "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep), Err(Invalid));
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in ["", "a\"b\\c", "é\n\t\r\u{8}\u{c}\u{1}\u{1f}/😀"] {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).expect("a string"));
            assert_eq!(parse(&out).and_then(|v| v.string()), Ok(s.to_owned()));
        }
    }

    #[test]
    fn the_api_answers_read_as_serde_reads_them() {
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: "validation".into(),
                message: "Vérifiez les champs signalés.".into(),
                fields: {
                    let mut f = FieldErrors::new();
                    f.add("email", "L'adresse email doit contenir un @.");
                    f.add("email", "Deux.");
                    f.add("prenoms.1", "Trois.");
                    f
                },
            },
        };
        let text = serde_json::to_string(&envelope).expect("json");
        assert_eq!(parse(&text).and_then(|v| error_envelope(&v)), Ok(envelope));
        let bare = ErrorEnvelope::new("not_found", "Introuvable.");
        let text = serde_json::to_string(&bare).expect("json");
        assert!(!text.contains("fields"));
        assert_eq!(parse(&text).and_then(|v| error_envelope(&v)), Ok(bare));

        let notice = Notice {
            title: "Notice".into(),
            version: "2026-11-26.1".into(),
            sections: vec![NoticeSection {
                heading: "Qui".into(),
                paragraphs: vec!["Un.".into(), "Deux.".into()],
            }],
        };
        let text = serde_json::to_string(&notice).expect("json");
        assert_eq!(parse(&text).and_then(|v| self::notice(&v)), Ok(notice));

        let created = PreRegistrationCreated {
            reference: "ENR-7KQ2-M9XD".into(),
            status_url: "/suivi/abc".into(),
            status_token: "abc".into(),
        };
        let text = serde_json::to_string(&created).expect("json");
        assert_eq!(write_pre_registration_created(&created), text);
        assert_eq!(
            parse(&text).and_then(|v| pre_registration_created(&v)),
            Ok(created.clone())
        );
        // Stored before `status_token` existed.
        let old = r#"{"reference":"R","status_url":"/suivi/x"}"#;
        assert_eq!(
            parse(old).and_then(|v| pre_registration_created(&v)),
            Ok(serde_json::from_str(old).expect("serde reads it"))
        );

        let uploaded = DocumentUploaded {
            id: "d1".into(),
            content_type: "image/jpeg".into(),
            size: 48_213,
        };
        let text = serde_json::to_string(&uploaded).expect("json");
        assert_eq!(
            parse(&text).and_then(|v| document_uploaded(&v)),
            Ok(uploaded)
        );

        for site in [
            Site {
                id: 7,
                nom: "EHPAD Les Tilleuls".into(),
                finess: Some("319999918".into()),
                siret: None,
                commune: Some("Toulouse".into()),
                demo: true,
            },
            Site {
                id: -1,
                nom: String::new(),
                finess: None,
                siret: Some("1".into()),
                commune: None,
                demo: false,
            },
        ] {
            let text = serde_json::to_string(&site).expect("json");
            assert_eq!(parse(&text).and_then(|v| self::site(&v)), Ok(site));
        }
        // Missing `Option`s are `None`, as with serde; a missing required member is refused by both.
        let text = r#"{"id":1,"nom":"A","demo":false}"#;
        assert_eq!(
            parse(text).and_then(|v| site(&v)),
            Ok(serde_json::from_str(text).expect("serde reads it"))
        );
        for text in [
            r#"{"id":1,"nom":"A"}"#,
            r#"{"id":"1","nom":"A","demo":false}"#,
        ] {
            assert_eq!(parse(text).and_then(|v| site(&v)), Err(Invalid));
            assert!(serde_json::from_str::<Site>(text).is_err());
        }
    }

    #[test]
    fn the_request_is_written_as_serde_writes_it() {
        let mut request = PreRegistrationRequest::default();
        assert_eq!(
            write_pre_registration_request(&request),
            serde_json::to_string(&request).expect("json")
        );
        request.input.civilite = "MME".into();
        request.input.prenoms = vec!["Awa".into(), "Marie \"Lou\"".into()];
        request.input.lieu_naissance.pays_cog = Some("99350".into());
        request.input.rpps_existant = Some("10000000001".into());
        request.input.situation.metier = "328".into();
        request.site_id = Some(42);
        request.document_id = "d".into();
        request.commune_libre = Some(CommuneLibreInput {
            nom: "Saint-Ancien".into(),
            departement: "2B".into(),
        });
        assert_eq!(
            write_pre_registration_request(&request),
            serde_json::to_string(&request).expect("json")
        );
    }

    #[test]
    fn embed_messages_are_written_as_serde_writes_them() {
        for message in [
            EmbedMessage::Loaded { height: 700 },
            EmbedMessage::Resize { height: 812 },
            EmbedMessage::Step { step: 3 },
            EmbedMessage::Submitted {
                reference: "ENR-1".into(),
            },
        ] {
            assert_eq!(
                write_embed_message(&message),
                serde_json::to_string(&message).expect("json")
            );
        }
    }
}

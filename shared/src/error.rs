//! Per-field validation errors, shared by the form and the API so both show the same messages.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Field name (snake_case, dotted for nested fields: `"situation.metier"`, `"prenoms.1"`) → French
/// messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message to `field`, keeping earlier ones.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    /// Records the error of `result` under `field` and returns its value, if any: lets a validation
    /// run on every field before deciding.
    pub fn capture<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of fields in error.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0.get(field).map(Vec::as_slice)
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn into_inner(self) -> BTreeMap<String, Vec<String>> {
        self.0
    }

    /// Moves `other`'s errors in under `prefix` (`"commune_cog"` → `"lieu_naissance.commune_cog"`;
    /// an empty field name, used for errors about the group as a whole, becomes `prefix` itself).
    pub fn merge_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for (field, messages) in other.0 {
            let key = if field.is_empty() {
                prefix.to_owned()
            } else if prefix.is_empty() {
                field
            } else {
                format!("{prefix}.{field}")
            };
            self.0.entry(key).or_default().extend(messages);
        }
    }
}

impl From<BTreeMap<String, Vec<String>>> for FieldErrors {
    fn from(map: BTreeMap<String, Vec<String>>) -> Self {
        Self(map)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, messages) in &self.0 {
            for message in messages {
                if !first {
                    f.write_str(" ; ")?;
                }
                first = false;
                write!(f, "{field} : {message}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_messages_per_field_and_merges_with_a_prefix() {
        let mut errors = FieldErrors::new();
        assert!(errors.is_empty());
        errors.add("email", "a");
        errors.add("email", "b");
        let mut nested = FieldErrors::new();
        nested.add("commune_cog", "c");
        nested.add("", "d");
        errors.merge_prefixed("lieu_naissance", nested);
        assert_eq!(errors.len(), 3);
        assert_eq!(
            errors.get("email"),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert!(errors.contains("lieu_naissance.commune_cog"));
        assert_eq!(errors.get("lieu_naissance"), Some(&["d".to_owned()][..]));
        assert_eq!(
            errors.to_string(),
            "email : a ; email : b ; lieu_naissance : d ; lieu_naissance.commune_cog : c"
        );
    }

    #[test]
    fn capture_keeps_the_value_or_records_the_message() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.capture::<_, String>("a", Ok(1)), Some(1));
        assert_eq!(errors.capture::<i32, _>("b", Err("non")), None);
        assert_eq!(errors.get("b"), Some(&["non".to_owned()][..]));
        assert!(!errors.contains("a"));
    }

    #[test]
    fn serialises_as_a_plain_map() -> Result<(), serde_json::Error> {
        let mut errors = FieldErrors::new();
        errors.add("email", "Adresse invalide.");
        let json = serde_json::to_string(&errors)?;
        assert_eq!(json, r#"{"email":["Adresse invalide."]}"#);
        assert_eq!(serde_json::from_str::<FieldErrors>(&json)?, errors);
        Ok(())
    }
}

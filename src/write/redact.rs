//! Redaction: a Secret document with every value replaced by a fixed mask and its keys kept,
//! so reports can show which entries a Secret has without ever showing one.
//!
//! Applied to every `kind: Secret` document a report prints, on both sides of a diff.

use std::borrow::Cow;

use crate::doc::value::{Map, Value};

pub use crate::write::diagnostics::MASK;

/// The annotation `kubectl apply` writes: a copy of the whole object, values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Is this a Secret (whatever its apiVersion: a look-alike is masked too)?
pub fn is_secret(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// The document as reports may show it: Secrets masked, everything else unchanged.
pub fn redacted(value: &Value) -> Cow<'_, Value> {
    if !is_secret(value) {
        return Cow::Borrowed(value);
    }
    let mut masked = value.clone();
    if let Value::Object(map) = &mut masked {
        for field in ["data", "stringData"] {
            if let Some(v) = map.get_mut(field) {
                mask_entries(v);
            }
        }
        if let Some(Value::Object(annotations)) = map.get_mut("metadata").and_then(|m| m.get_mut("annotations")) {
            if let Some(v) = annotations.get_mut(LAST_APPLIED) {
                *v = Value::String(MASK.into());
            }
        }
    }
    Cow::Owned(masked)
}

/// Every value of a `data`/`stringData` map becomes the mask (null stays null: it is not a
/// value); anything that is not a map is masked whole.
fn mask_entries(v: &mut Value) {
    match v {
        Value::Null => {}
        Value::Object(entries) => {
            let masked: Map =
                entries.iter().map(|(k, v)| (k.clone(), if v.is_null() { Value::Null } else { Value::String(MASK.into()) })).collect();
            *entries = masked;
        }
        other => *other = Value::String(MASK.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn secret_values_are_masked_and_keys_kept() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}", "team": "a"}},
            "type": "Opaque",
            "data": {"password": "aHVudGVyMg==", "empty": null},
            "stringData": {"host": "db.internal", "port": 5432}
        });
        let masked = redacted(&secret);
        assert_eq!(masked["data"], json!({"password": MASK, "empty": null}));
        assert_eq!(masked["stringData"], json!({"host": MASK, "port": MASK}));
        assert_eq!(masked["metadata"]["annotations"][LAST_APPLIED], MASK);
        assert_eq!(masked["metadata"]["annotations"]["team"], "a");
        assert_eq!(masked["type"], "Opaque");
        let text = serde_json::to_string(&masked).unwrap();
        assert!(!text.contains("aHVudGVyMg") && !text.contains("db.internal"), "{text}");
    }

    #[test]
    fn malformed_data_is_masked_whole_and_other_kinds_are_untouched() {
        let secret = json!({"kind": "Secret", "data": "cGxhaW4="});
        assert_eq!(redacted(&secret)["data"], MASK);
        let config = json!({"kind": "ConfigMap", "data": {"a": "b"}});
        assert!(matches!(redacted(&config), Cow::Borrowed(_)));
    }
}

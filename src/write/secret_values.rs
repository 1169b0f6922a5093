//! The one reader of Secret values: the content of one entry of a Secret document, as the
//! kubelet would write it to a file. Used only when the user passed `--show-secrets`
//! (`explain`, `materialize`); every other report works from keys alone.

use crate::doc::value::Value;
use base64::Engine;

/// The bytes of entry `key` of a Secret document: `stringData` wins over `data` (as the API
/// server merges them), `data` is base64 (whitespace ignored). `None` when the Secret has no
/// such entry or its value cannot be decoded.
pub fn secret_entry(secret: &Value, key: &str) -> Option<Vec<u8>> {
    if let Some(v) = secret.get("stringData").and_then(|m| m.get(key)) {
        return match v {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Null => None,
            // The API server refuses non-strings; show what the author wrote.
            other => Some(other.to_string().into_bytes()),
        };
    }
    let encoded = secret.get("data")?.get(key)?.as_str()?;
    let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn string_data_wins_and_data_is_decoded() {
        let secret = json!({"kind": "Secret", "data": {"host": "b2xk", "user": "YWRt\naW4="}, "stringData": {"host": "new"}});
        assert_eq!(secret_entry(&secret, "host").unwrap(), b"new");
        assert_eq!(secret_entry(&secret, "user").unwrap(), b"admin");
        assert_eq!(secret_entry(&secret, "absent"), None);
    }
}

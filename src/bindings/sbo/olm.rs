//! OLM ClusterServiceVersion descriptors as binding definitions (sbo-semantics §7).
//!
//! SBO removed this source (commit 8cbabbbe); bindery still reads it, with the pre-removal
//! rules, so that services whose operators only publish descriptors keep binding. Descriptor
//! annotations have the lowest precedence: the CRD's and the resource's own override them.

use crate::doc::value::Value;

use crate::doc::document::Document;
use crate::index::Index;

/// The binding annotations the first matching CSV in `namespace` declares for a CRD.
pub fn descriptor_annotations(
    docs: &[Document],
    index: &Index,
    namespace: &str,
    crd_name: &str,
    kind: &str,
    version: &str,
) -> Vec<(String, String)> {
    for &id in index.of_type("operators.coreos.com", "ClusterServiceVersion", namespace) {
        let Some(Value::Array(owned)) = docs[id].value.pointer("/spec/customresourcedefinitions/owned") else { continue };
        let field = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let Some(entry) = owned.iter().find(|o| field(o, "name") == crd_name && field(o, "kind") == kind && field(o, "version") == version)
        else {
            continue;
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for (list, root) in [("statusDescriptors", "status"), ("specDescriptors", "spec")] {
            let Some(Value::Array(descriptors)) = entry.get(list) else { continue };
            for d in descriptors {
                let path = field(d, "path");
                let x: Vec<&str> = d
                    .get("x-descriptors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let object_type = x.iter().find_map(|s| s.strip_prefix("urn:alm:descriptor:io.kubernetes:"));
                for s in x.iter().filter(|s| s.starts_with("service.binding")) {
                    let parts: Vec<&str> = s.split(':').collect();
                    let key = format!("service.binding/{}", parts.get(1).copied().unwrap_or(path.as_str()));
                    let mut value = format!("path={{.{root}.{path}}}");
                    for extra in parts.iter().skip(2) {
                        value.push(',');
                        value.push_str(extra);
                    }
                    if let Some(ot) = object_type {
                        value.push_str(&format!(",objectType={ot}"));
                    }
                    // A later descriptor overwrites an earlier one with the same key.
                    out.retain(|(k, _)| *k != key);
                    out.push((key, value));
                }
            }
        }
        return out;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_file;

    #[test]
    fn status_then_spec_descriptors() {
        let text = r#"
apiVersion: operators.coreos.com/v1alpha1
kind: ClusterServiceVersion
metadata: {name: db-operator.v1, namespace: shop}
spec:
  customresourcedefinitions:
    owned:
    - name: databases.db.example.com
      kind: Database
      version: v1
      statusDescriptors:
      - path: bootstrap
        x-descriptors: ["service.binding:endpoints:elementType=sliceOfMaps:sourceKey=type:sourceValue=url"]
      - path: data.dbCredentials
        x-descriptors: ["urn:alm:descriptor:io.kubernetes:Secret", "service.binding"]
      specDescriptors:
      - path: host
        x-descriptors: ["service.binding:host"]
"#;
        let (_, docs) = parse_file("csv.yaml".into(), "csv.yaml".into(), text.as_bytes().to_vec()).unwrap();
        let index = Index::build(&docs, "default");
        let a = descriptor_annotations(&docs, &index, "shop", "databases.db.example.com", "Database", "v1");
        assert_eq!(
            a,
            vec![
                (
                    "service.binding/endpoints".to_string(),
                    "path={.status.bootstrap},elementType=sliceOfMaps,sourceKey=type,sourceValue=url".to_string()
                ),
                ("service.binding/data.dbCredentials".to_string(), "path={.status.data.dbCredentials},objectType=Secret".to_string()),
                ("service.binding/host".to_string(), "path={.spec.host}".to_string()),
            ]
        );
        assert!(descriptor_annotations(&docs, &index, "other", "databases.db.example.com", "Database", "v1").is_empty());
    }
}

//! Duplicate bindings: two ServiceBindings of one API group with the same namespace and name in
//! one applied set. Applying the set keeps only the last one, so the other binding silently
//! never happens: an error naming both files.

use std::collections::HashMap;

use crate::bindings::{classify, BindingDocKind};
use crate::doc::document::Document;
use crate::kube::group_of;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

/// One [`Rule::DuplicateBinding`] error per repeated binding, at the repeat, naming the first.
pub fn duplicate_bindings(docs: &[Document], default_namespace: &str) -> Vec<Problem> {
    let mut first: HashMap<(&str, &str, &str), &Document> = HashMap::new();
    let mut problems = Vec::new();
    for doc in docs {
        if !matches!(classify(doc), Some(BindingDocKind::ServiceBinding(_) | BindingDocKind::OperatorServiceBinding)) {
            continue;
        }
        let (group, namespace, name) = (group_of(doc.api_version()), doc.namespace(default_namespace), doc.name());
        if name.is_empty() {
            continue; // reported as an invalid binding
        }
        match first.get(&(group, namespace, name)) {
            None => {
                first.insert((group, namespace, name), doc);
            }
            Some(earlier) => {
                let message = format!(
                    "defined twice in one applied set: {} and {}; applying the set keeps only one of them",
                    earlier.location(),
                    doc.location()
                );
                let help = "rename one of the bindings, or remove the copy (a base and an overlay both defining it)";
                problems.push(Problem::error(Rule::DuplicateBinding, message).binding(namespace, name).at(Location::of(doc)).help(help));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_file;

    fn docs(files: &[(&str, &str)]) -> Vec<Document> {
        files.iter().flat_map(|(path, text)| parse_file((*path).into(), (*path).into(), text.as_bytes().to_vec()).unwrap().1).collect()
    }

    const SB: &str = "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec: {}\n";

    #[test]
    fn the_same_binding_in_two_files_names_both() {
        let d = docs(&[("base/b.yaml", SB), ("overlay/b.yaml", &format!("# copy\n{}", SB.replace("v1", "v1beta1")))]);
        let p = duplicate_bindings(&d, "default");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].rule, Rule::DuplicateBinding);
        assert_eq!(p[0].binding.as_deref(), Some("default/db"));
        assert_eq!(
            p[0].message,
            "defined twice in one applied set: base/b.yaml:1 and overlay/b.yaml:2; applying the set keeps only one of them"
        );
        assert_eq!(p[0].location.as_ref().map(|l| (l.file.display(), l.line)), Some(("overlay/b.yaml".into(), 2)));
    }

    #[test]
    fn other_namespaces_names_and_apis_are_other_objects() {
        let sbo = SB.replace("servicebinding.io/v1", "binding.operators.coreos.com/v1alpha1");
        let other_ns = SB.replace("{name: db}", "{name: db, namespace: shop}");
        let other_name = SB.replace("{name: db}", "{name: cache}");
        let d = docs(&[("a.yaml", SB), ("b.yaml", &sbo), ("c.yaml", &other_ns), ("d.yaml", &other_name)]);
        assert!(duplicate_bindings(&d, "default").is_empty());
        // An explicit namespace equal to the default is the same object.
        let explicit = SB.replace("{name: db}", "{name: db, namespace: default}");
        assert_eq!(duplicate_bindings(&docs(&[("a.yaml", SB), ("b.yaml", &explicit)]), "default").len(), 1);
    }
}

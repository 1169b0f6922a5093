//! The kustomize legacy exec plugin: argv\[1\] is the plugin config file (a `BindingResolver`),
//! stdin and stdout are plain multi-document YAML streams (see [`super::krm::filter`]).

use std::path::{Path, PathBuf};

use crate::kube::group_of;
use crate::load;

use super::config::{Config, CONFIG_API_VERSION, CONFIG_GROUP, CONFIG_KIND};

/// The executable name kustomize looks for: `<group>/<version>/<lowercase kind>/<Kind>`.
pub const LEGACY_PLUGIN_NAME: &str = "BindingResolver";

/// The plugin config: the file kustomize names in argv\[1\], else the same text from
/// `KUSTOMIZE_PLUGIN_CONFIG_STRING`. It must be one `BindingResolver`.
pub fn plugin_config(path: Option<&Path>, env_text: Option<String>) -> Result<Config, String> {
    let (label, text) = match path {
        Some(p) => {
            (p.display().to_string(), std::fs::read_to_string(p).map_err(|e| format!("cannot read plugin config {}: {e}", p.display()))?)
        }
        None => match env_text {
            Some(s) => ("$KUSTOMIZE_PLUGIN_CONFIG_STRING".to_string(), s),
            None => return Err("kustomize-plugin: no config file given and KUSTOMIZE_PLUGIN_CONFIG_STRING is not set".to_string()),
        },
    };
    let (_, docs) = load::parse_file(PathBuf::from(&label), PathBuf::from(&label), text.into_bytes()).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [doc] if group_of(doc.api_version()) == CONFIG_GROUP && doc.kind() == CONFIG_KIND => {
            Config::from_resolver(&doc.value).map_err(|e| format!("{label}: {e}"))
        }
        _ => Err(format!("{label}: expected one {CONFIG_API_VERSION} {CONFIG_KIND} document")),
    }
}

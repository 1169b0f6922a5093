//! The kustomize legacy exec plugin: argv\[1\] is the plugin config file (a `BindingResolver`),
//! stdin and stdout are plain multi-document YAML streams (see [`super::krm::filter`]).

use std::path::{Path, PathBuf};

use crate::kube::group_of;
use crate::load;

use super::config::{Config, ConfigError, CONFIG_GROUP, CONFIG_KIND};

/// The executable name kustomize looks for: `<group>/<version>/<lowercase kind>/<Kind>`.
pub const LEGACY_PLUGIN_NAME: &str = "BindingResolver";

/// The plugin config: the file kustomize names in argv\[1\], else the same text from
/// `KUSTOMIZE_PLUGIN_CONFIG_STRING`. It must be one `BindingResolver`.
pub fn plugin_config(path: Option<&Path>, env_text: Option<String>) -> Result<Config, ConfigError> {
    let (label, text) = match path {
        Some(p) => {
            let read = std::fs::read_to_string(p);
            (
                p.display().to_string(),
                read.map_err(|e| ConfigError::ReadPluginConfig { path: p.display().to_string(), reason: e.to_string() })?,
            )
        }
        None => match env_text {
            Some(s) => ("$KUSTOMIZE_PLUGIN_CONFIG_STRING".to_string(), s),
            None => return Err(ConfigError::NoPluginConfig),
        },
    };
    let (_, docs) = load::parse_file(PathBuf::from(&label), PathBuf::from(&label), text.into_bytes()).map_err(ConfigError::Parse)?;
    match docs.as_slice() {
        [doc] if group_of(doc.api_version()) == CONFIG_GROUP && doc.kind() == CONFIG_KIND => {
            Config::from_resolver(&doc.value).map_err(|e| ConfigError::In { label, source: Box::new(e) })
        }
        _ => Err(ConfigError::NotOneResolver { label }),
    }
}

//! The kustomize legacy exec plugin: argv\[1\] is the plugin config file (a `BindingResolver`,
//! the transformer config: the run's given configuration), stdin and stdout are plain
//! multi-document YAML streams (see [`super::krm::filter`]).

use std::path::Path;

use super::config::schema::from_file_text;
use super::config::{Config, ConfigError};

/// The executable name kustomize looks for: `<group>/<version>/<lowercase kind>/<Kind>`.
pub const LEGACY_PLUGIN_NAME: &str = "BindingResolver";

/// The plugin config: the file kustomize names in argv\[1\], else the same text from
/// `KUSTOMIZE_PLUGIN_CONFIG_STRING`. It must be one `BindingResolver`.
pub fn plugin_config(path: Option<&Path>, env_text: Option<String>) -> Result<Config, ConfigError> {
    let (label, text) = match path {
        Some(p) => {
            let read = std::fs::read_to_string(p);
            (p.display().to_string(), read.map_err(|e| ConfigError::Read { path: p.display().to_string(), reason: e.to_string() })?)
        }
        None => match env_text {
            Some(s) => ("$KUSTOMIZE_PLUGIN_CONFIG_STRING".to_string(), s),
            None => return Err(ConfigError::NoPluginConfig),
        },
    };
    let mut docs = from_file_text(&text, &label)?;
    match docs.as_slice() {
        [(true, _)] => Ok(docs.remove(0).1),
        _ => Err(ConfigError::NotOneResolver { at: label }),
    }
}

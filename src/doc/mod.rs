//! The document model: JSON-like values, the YAML reader and writer, and source positions.
//! Knows nothing of bindings.

pub mod document;
pub mod source_map;
pub mod value;
pub mod yaml_in;
pub mod yaml_out;
pub mod yaml_split;

#[cfg(test)]
mod yaml_props;

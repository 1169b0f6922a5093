//! The binding APIs, each parsed and validated into its normalized model: servicebinding.io
//! ([`spec`]) and the Service Binding Operator's ([`sbo`]).

pub mod sbo;
pub mod spec;

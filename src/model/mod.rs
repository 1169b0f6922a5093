//! What resolution finds, as plain data every command prints: problems and their rules.

pub mod bound;
pub mod problem;
pub mod rules;

//! What a run finds, as plain data every command prints: problems ([`problem`]), their rules
//! ([`rules`]), and what each bound container receives ([`bound`]).

pub mod bound;
pub mod problem;
pub mod rules;
pub mod severity;

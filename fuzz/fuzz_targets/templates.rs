//! Go templates and JSONPath over generated services (issue 19 items 1, 2, 14). The input is
//! a Go template, a JSONPath template and the shape of a service's status, separated by NUL
//! bytes; the status is generated from the shape (deep chains, wide lists, maps, strings), and a
//! Secret holds a value derived from the whole input (so the input cannot spell it). Checked:
//! - evaluation ends (bounded) and never panics;
//! - no error message holds a value of the data;
//! - a template whose output holds the Secret's value counts as reading it;
//! - through the whole pipeline (the template as an SBO mapping, the JSONPath as a binding
//!   annotation), no problem and no rendered document but a Secret holds the Secret's value.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks, shared with the regression replay (`tests/cli/fuzz_regressions.rs`).
include!("templates_check.rs");

fuzz_target!(|data: &[u8]| {
    check_templates(&FuzzInput::from_bytes(data));
});

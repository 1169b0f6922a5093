//! Problems: what resolution found wrong, as data (rule id, severity, binding, place, cause).
//!
//! Problems are produced by resolution and printed by the commands; rendering for humans goes
//! through miette with a source snippet in which Secret values are masked.

use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::model::rules::Rule;
pub use crate::model::severity::Severity;

/// Where a problem is: a file and 1-based line (and column when known).
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub line: usize,
    pub column: Option<usize>,
}

impl Location {
    pub fn of(doc: &Document) -> Self {
        Location { file: doc.file.clone(), line: doc.line, column: None }
    }

    /// The line of `field` (`spec.env[1].key`) in `doc`, or the document's first line.
    pub fn of_field(doc: &Document, field: &str) -> Self {
        let line = crate::doc::source_map::locate(doc, field).unwrap_or(doc.line);
        Location { file: doc.file.clone(), line, column: None }
    }
}

/// One finding. `rule` reuses the upstream reason words where upstream has one
/// (ServiceNotFound, ServiceMissingBinding, WorkloadNotFound, …).
#[derive(Debug, Clone)]
pub struct Problem {
    pub rule: Rule,
    pub severity: Severity,
    /// The binding concerned, as `namespace/name`.
    pub binding: Option<String>,
    /// The binding's kind for messages, e.g. `ServiceBinding`.
    pub message: String,
    pub help: Option<String>,
    pub location: Option<Location>,
}

impl Problem {
    pub fn error(rule: Rule, message: impl Into<String>) -> Self {
        Problem { rule, severity: Severity::Error, binding: None, message: message.into(), help: None, location: None }
    }
    pub fn warning(rule: Rule, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Warning, ..Problem::error(rule, message) }
    }
    pub fn notice(rule: Rule, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Notice, ..Problem::error(rule, message) }
    }
    pub fn binding(mut self, namespace: &str, name: &str) -> Self {
        self.binding = Some(format!("{namespace}/{name}"));
        self
    }
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Attach help to a problem already recorded.
    pub fn add_help(&mut self, help: impl Into<String>) {
        self.help = Some(help.into());
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One line: `file:line: error[Rule]: ServiceBinding ns/name: message`.
    pub fn one_line(&self) -> String {
        let mut s = String::new();
        if let Some(l) = &self.location {
            s.push_str(&format!("{}:{}: ", l.file.display(), l.line));
        }
        let sev = self.severity.word();
        s.push_str(&format!("{sev}[{}]: ", self.rule));
        if let Some(b) = &self.binding {
            s.push_str(&format!("ServiceBinding {b}: "));
        }
        s.push_str(&self.message);
        s
    }
}

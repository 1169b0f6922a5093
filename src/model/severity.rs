//! How serious a problem is: an error fails the run, a warning fails a strict one, a notice
//! never fails.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    /// Information worth a reviewer's attention that needs no action (a binding Secret that
    /// will be created at run time, a selector that matched nothing). Never fails a run.
    Notice,
}

impl Severity {
    /// `error`, `warning` or `notice`, as every report writes it.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

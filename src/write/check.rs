//! `check`: the problems of one run — resolution problems and unreadable input alike — as
//! findings, printed for humans (miette, with masked source snippets), as JSON, as GitHub
//! workflow commands, or as SARIF 2.1.0 for code scanning.
//!
//! Findings carry only what problems carry (rule, severity, binding, message, help, place),
//! and problems never hold a Secret value, so no format can print one.

use std::collections::HashMap;

use serde::Serialize;

use crate::doc::document::Document;
use crate::load::LoadError;
use crate::model::problem::{Problem, Severity};
use crate::model::rules::Rule;
use crate::write::diagnostics::{render_load_error_for, render_problem_for};
use crate::write::{report_path, SCHEMA_VERSION};

/// What a finding was made from (the human writer renders each kind its own way).
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    Problem(&'a Problem),
    Load(&'a LoadError),
}

/// Where a finding is, as reports print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingLocation {
    /// Path relative to the working directory, `/`-separated.
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// One problem, ready for every format.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub origin: Origin<'a>,
    pub rule: Rule,
    pub severity: Severity,
    pub binding: Option<String>,
    pub message: String,
    pub help: Option<String>,
    pub location: Option<FindingLocation>,
    /// Stable across runs and line moves: rule, file, binding and message (without line numbers),
    /// and the root.
    pub fingerprint: String,
    /// In repository mode, the kustomization whose built set the finding is in.
    pub root: Option<String>,
}

impl Finding<'_> {
    /// `ServiceBinding ns/name: message` (the message alone when no binding is concerned).
    pub fn text(&self) -> String {
        let text = match &self.binding {
            Some(b) => format!("ServiceBinding {b}: {}", self.message),
            None => self.message.clone(),
        };
        match &self.root {
            Some(root) => format!("[{root}] {text}"),
            None => text,
        }
    }
}

/// Every finding of a run, and what was checked.
#[derive(Debug, Clone)]
pub struct CheckReport<'a> {
    pub findings: Vec<Finding<'a>>,
    /// Kubernetes resources read (0 when the input could not be read).
    pub resources: usize,
    /// ServiceBindings resolved.
    pub bindings: usize,
    /// The input could not be read (load errors): nothing was resolved.
    pub unreadable: bool,
    /// In repository mode, each set checked on its own (empty otherwise).
    pub roots: Vec<RootSummary>,
}

/// One set of a repository run: a built kustomization, or the files outside every one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RootSummary {
    pub root: String,
    /// `kubectl kustomize` / `kustomize build`; `None` for files read as they are.
    pub builder: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub notices: usize,
    pub resources: usize,
    pub bindings: usize,
    /// The set could not be built or read.
    pub unreadable: bool,
}

impl<'a> CheckReport<'a> {
    /// Findings from a run's problems, in the order resolution found them.
    pub fn from_problems(problems: &'a [Problem], resources: usize, bindings: usize) -> Self {
        let findings = problems
            .iter()
            .map(|p| Finding {
                origin: Origin::Problem(p),
                rule: p.rule,
                severity: p.severity,
                binding: p.binding.clone(),
                message: p.message.clone(),
                help: p.help.clone(),
                location: p.location.as_ref().map(|l| FindingLocation {
                    file: report_path(&l.file.path),
                    line: Some(l.line),
                    column: l.column,
                }),
                fingerprint: String::new(),
                root: None,
            })
            .collect();
        CheckReport { findings: with_fingerprints(findings), resources, bindings, unreadable: false, roots: Vec::new() }
    }

    /// Findings from input that could not be read (rule `InvalidInput`).
    pub fn from_load_errors(errors: &'a [LoadError]) -> Self {
        let findings = errors
            .iter()
            .map(|e| Finding {
                origin: Origin::Load(e),
                rule: Rule::InvalidInput,
                severity: Severity::Error,
                binding: None,
                message: e.message.clone(),
                help: None,
                location: Some(FindingLocation { file: report_path(std::path::Path::new(&e.path)), line: e.line, column: e.column }),
                fingerprint: String::new(),
                root: None,
            })
            .collect();
        CheckReport { findings: with_fingerprints(findings), resources: 0, bindings: 0, unreadable: true, roots: Vec::new() }
    }

    /// One report of a repository run: `notices` (about the repository as a whole) first, then
    /// every set's findings marked with its root, in order. Totals add up; the input counts as
    /// unreadable only when no set could be read.
    pub fn merge(notices: Vec<Finding<'a>>, sets: Vec<(String, Option<String>, CheckReport<'a>)>) -> Self {
        let mut findings = notices;
        let (mut resources, mut bindings, mut roots) = (0, 0, Vec::new());
        let unreadable = !sets.is_empty() && sets.iter().all(|(_, _, r)| r.unreadable);
        for (root, builder, report) in sets {
            roots.push(RootSummary {
                root: root.clone(),
                builder,
                errors: report.errors(),
                warnings: report.warnings(),
                notices: report.notices(),
                resources: report.resources,
                bindings: report.bindings,
                unreadable: report.unreadable,
            });
            resources += report.resources;
            bindings += report.bindings;
            findings.extend(report.findings.into_iter().map(|f| Finding { root: Some(root.clone()), ..f }));
        }
        CheckReport { findings: with_fingerprints(findings), resources, bindings, unreadable, roots }
    }

    /// The same report with `notices` (about the input as a whole) first.
    pub fn with_notices(mut self, notices: Vec<Finding<'a>>) -> Self {
        let mut findings = notices;
        findings.append(&mut self.findings);
        self.findings = with_fingerprints(findings);
        self
    }

    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    /// Notices: information for the reviewer, never a failure (not even under `--strict`).
    pub fn notices(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Notice).count()
    }

    /// Does this report fail the check? Errors always; warnings under `--strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.errors() > 0 || (strict && self.warnings() > 0)
    }
}

fn severity_word(s: Severity) -> &'static str {
    s.word()
}

/// The message with line references (`file.yaml:12`) removed, so a fingerprint survives edits
/// elsewhere in the file.
fn without_line_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Name-based UUIDs of what identifies a finding; a repeated identity gets `-2`, `-3`, … in
/// input order, so every fingerprint in a report is distinct.
fn with_fingerprints(mut findings: Vec<Finding<'_>>) -> Vec<Finding<'_>> {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b69_6e64_6572_5f66_696e_6469_6e67_0001);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for f in &mut findings {
        let mut identity = format!(
            "{}\0{}\0{}\0{}",
            f.rule,
            f.location.as_ref().map_or("", |l| l.file.as_str()),
            f.binding.as_deref().unwrap_or(""),
            without_line_numbers(&f.message)
        );
        if let Some(root) = &f.root {
            identity.push('\0');
            identity.push_str(root);
        }
        let base = uuid::Uuid::new_v5(&NAMESPACE, identity.as_bytes()).simple().to_string();
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        f.fingerprint = if *n == 1 { base } else { format!("{base}-{n}") };
    }
    findings
}

/// One line of totals: `2 errors, 1 warning in 14 resources (3 bindings)`.
pub fn summary(report: &CheckReport<'_>) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if report.unreadable {
        return format!("{}; the input could not be read", plural(report.errors(), "error"));
    }
    let notices = match report.notices() {
        0 => String::new(),
        n => format!(", {}", plural(n, "notice")),
    };
    format!(
        "{}, {}{notices} in {} ({})",
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        plural(report.resources, "resource"),
        plural(report.bindings, "binding")
    )
}

// ---------------------------------------------------------------------------------------------
// human
// ---------------------------------------------------------------------------------------------

/// miette diagnostics with the source snippet (Secret lines masked), then a summary line.
pub fn to_human(report: &CheckReport<'_>, documents: &[Document], color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&match f.origin {
            Origin::Problem(p) => render_problem_for(p, documents, color),
            Origin::Load(e) => render_load_error_for(e, color),
        });
        out.push('\n');
    }
    out.push_str(&format!("bindery check: {}\n", summary(report)));
    out
}

// ---------------------------------------------------------------------------------------------
// json
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema_version: u32,
    tool: JsonTool,
    summary: JsonSummary,
    problems: Vec<JsonProblem<'a>>,
    /// Repository mode: each set's totals.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    roots: &'a [RootSummary],
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    notices: usize,
    resources: usize,
    bindings: usize,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    rule: &'a str,
    severity: &'static str,
    binding: Option<&'a str>,
    message: &'a str,
    help: Option<&'a str>,
    location: Option<&'a FindingLocation>,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    root: Option<&'a str>,
}

/// The stable JSON schema documented in the README ("Reports").
pub fn to_json(report: &CheckReport<'_>) -> String {
    let doc = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: JsonTool { name: "bindery", version: env!("CARGO_PKG_VERSION") },
        summary: JsonSummary {
            errors: report.errors(),
            warnings: report.warnings(),
            notices: report.notices(),
            resources: report.resources,
            bindings: report.bindings,
        },
        problems: report
            .findings
            .iter()
            .map(|f| JsonProblem {
                rule: f.rule.id(),
                severity: severity_word(f.severity),
                binding: f.binding.as_deref(),
                message: &f.message,
                help: f.help.as_deref(),
                location: f.location.as_ref(),
                fingerprint: &f.fingerprint,
                root: f.root.as_deref(),
            })
            .collect(),
        roots: &report.roots,
    };
    super::json_text(&doc)
}

// ---------------------------------------------------------------------------------------------
// github
// ---------------------------------------------------------------------------------------------

/// Escape the message part of a workflow command (actions/toolkit `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value of a workflow command (actions/toolkit `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error …::message` / `::warning …::message` line per finding. The message is the
/// finding's text, then its help on the next line.
pub fn to_github(report: &CheckReport<'_>) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let mut props = Vec::new();
        if let Some(l) = &f.location {
            props.push(format!("file={}", escape_property(&l.file)));
            if let Some(line) = l.line {
                props.push(format!("line={line}"));
            }
            if let Some(col) = l.column {
                props.push(format!("col={col}"));
            }
        }
        props.push(format!("title={}", escape_property(&format!("bindery/{}", f.rule))));
        let mut message = f.text();
        if let Some(h) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        out.push_str(&format!("::{} {}::{}\n", severity_word(f.severity), props.join(","), escape_data(&message)));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// sarif
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<SarifRun<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    tool: SarifTool,
    automation_details: SarifAutomation,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct SarifTool {
    driver: SarifDriver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    /// The project's page, when Cargo.toml names one (`repository` or `homepage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
struct SarifText {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    /// The problem's rule word; no `name` beside it (SARIF wants the two to differ, and the
    /// rule word is already readable).
    id: String,
    short_description: SarifText,
    full_description: SarifText,
    help: SarifText,
    default_configuration: SarifConfiguration,
    properties: SarifRuleProperties,
}

#[derive(Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRuleProperties {
    tags: [&'static str; 2],
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
struct SarifAutomation {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    partial_fingerprints: SarifFingerprints<'a>,
}

#[derive(Serialize)]
struct SarifFingerprints<'a> {
    #[serde(rename = "binderyFinding/v1")]
    finding: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: SarifPhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifArtifact {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

/// GitHub code scanning's `problem.severity`: `error`, `warning` or `recommendation`.
fn sarif_problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Notice => "recommendation",
        other => other.word(),
    }
}

/// A relative path as a URI reference: unreserved characters and `/` kept, the rest
/// percent-encoded.
pub fn path_to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SARIF 2.1.0 as GitHub code scanning accepts it: every rule with `fullDescription` and
/// `help`, results with a relative location (`%SRCROOT%`), a start line, and stable
/// `partialFingerprints`.
pub fn to_sarif(report: &CheckReport<'_>) -> String {
    // The whole catalogue, in its fixed order.
    let rules: Vec<SarifRule> = Rule::ALL
        .iter()
        .map(|&rule| {
            let r = rule.entry();
            SarifRule {
                id: rule.id().to_string(),
                short_description: SarifText { text: r.short.into() },
                full_description: SarifText { text: r.full.into() },
                help: SarifText { text: r.help.into() },
                default_configuration: SarifConfiguration { level: sarif_level(r.severity) },
                properties: SarifRuleProperties {
                    tags: ["kubernetes", "service-binding"],
                    precision: "very-high",
                    problem_severity: sarif_problem_severity(r.severity),
                },
            }
        })
        .collect();
    let results = report
        .findings
        .iter()
        .map(|f| {
            let mut text = f.text();
            if let Some(h) = &f.help {
                text.push_str(&format!(" (help: {h})"));
            }
            SarifResult {
                rule_id: f.rule.id(),
                rule_index: f.rule.index(),
                level: sarif_level(f.severity),
                message: SarifText { text },
                locations: f
                    .location
                    .iter()
                    .map(|l| {
                        let absolute = l.file.starts_with('/');
                        SarifLocation {
                            physical_location: SarifPhysicalLocation {
                                artifact_location: SarifArtifact {
                                    uri: if absolute { format!("file://{}", path_to_uri(&l.file)) } else { path_to_uri(&l.file) },
                                    uri_base_id: (!absolute).then_some("%SRCROOT%"),
                                },
                                region: l
                                    .line
                                    .map(|line| SarifRegion { start_line: line.max(1), start_column: l.column.filter(|&c| c > 0) }),
                            },
                        }
                    })
                    .collect(),
                partial_fingerprints: SarifFingerprints { finding: &f.fingerprint },
            }
        })
        .collect();
    let log = SarifLog {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "bindery",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")].into_iter().find(|u| !u.is_empty()),
                    rules,
                },
            },
            automation_details: SarifAutomation { id: "bindery/" },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    super::json_text(&log)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::doc::document::SourceFile;
    use crate::model::problem::Location;

    fn problem(rule: Rule, message: &str, line: usize) -> Problem {
        let file = Arc::new(SourceFile::new("deploy/app.yaml".into(), "app.yaml".into(), "a: 1\n".repeat(20)));
        Problem::error(rule, message).binding("default", "web-db").at(Location { file, line, column: None })
    }

    #[test]
    fn github_escaping_follows_the_toolkit() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // ':' and ',' are left alone in the message: only properties escape them.
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }

    #[test]
    fn github_commands_carry_file_line_and_title() {
        let problems = [problem(Rule::SecretNotFound, "no Secret \"db\", 100% missing:\nreally", 6).help("add it, please")];
        let report = CheckReport::from_problems(&problems, 3, 1);
        assert_eq!(
            to_github(&report),
            "::error file=deploy/app.yaml,line=6,title=bindery/SecretNotFound::ServiceBinding default/web-db: \
             no Secret \"db\", 100%25 missing:%0Areally%0Ahelp: add it, please\n"
        );
    }

    #[test]
    fn fingerprints_ignore_line_numbers_and_stay_distinct() {
        let a = [problem(Rule::ServiceMissingBinding, "service (at deploy/db.yaml:3) has none", 4)];
        let b = [problem(Rule::ServiceMissingBinding, "service (at deploy/db.yaml:9) has none", 12)];
        let fa = CheckReport::from_problems(&a, 1, 1).findings[0].fingerprint.clone();
        let fb = CheckReport::from_problems(&b, 1, 1).findings[0].fingerprint.clone();
        assert_eq!(fa, fb);
        let twice = [a[0].clone(), a[0].clone()];
        let report = CheckReport::from_problems(&twice, 1, 1);
        assert_ne!(report.findings[0].fingerprint, report.findings[1].fingerprint);
    }

    #[test]
    fn warnings_fail_only_when_strict() {
        let mut p = problem(Rule::WorkloadVersionMismatch, "v1beta1", 1);
        p.severity = Severity::Warning;
        let problems = [p];
        let report = CheckReport::from_problems(&problems, 1, 1);
        assert!(!report.fails(false));
        assert!(report.fails(true));
        assert_eq!(summary(&report), "0 errors, 1 warning in 1 resource (1 binding)");
    }

    #[test]
    fn sarif_uris_are_relative_and_encoded() {
        assert_eq!(path_to_uri("deploy/my app/a#1.yaml"), "deploy/my%20app/a%231.yaml");
        let problems = [problem(Rule::EnvKeyNotFound, "missing key", 7)];
        let sarif: crate::doc::value::Value = serde_json::from_str(&to_sarif(&CheckReport::from_problems(&problems, 1, 1))).unwrap();
        let result = &sarif["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "EnvKeyNotFound");
        let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], "EnvKeyNotFound");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "deploy/app.yaml");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(location["region"]["startLine"], 7);
    }
}

//! The real kustomize: `kubectl kustomize` or standalone `kustomize build`, found on PATH (or
//! named by `--kustomize-command`), run once per root.
//!
//! Each root is built through a wrapper kustomization in a temporary directory outside the
//! repository (`resources: [<root>]`, `buildMetadata: [originAnnotations]`), so every built
//! document carries `config.kubernetes.io/origin` naming the repository file it came from;
//! nothing is written into the repository. A root that runs bindery as a kustomize transformer
//! is built with a pass-through `BindingResolver` plugin in place of bindery, so its build is
//! exactly what bindery would receive there.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::roots::Kustomization;

/// The program that builds kustomizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    /// The program run.
    pub program: PathBuf,
    /// `kubectl` (run as `kubectl kustomize DIR`) rather than `kustomize` (`kustomize build DIR`).
    pub kubectl: bool,
}

/// Why a root could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "{roots} kustomization(s) found ({first}…) but neither kubectl nor kustomize is on PATH: install one of them, name it with \
         --kustomize-command, or check the files as a plain directory with --no-kustomize"
    )]
    NoKustomize { roots: usize, first: String },
    #[error("--kustomize-command {0:?} is not a program on PATH")]
    NoSuchCommand(String),
    #[error("cannot prepare the kustomize build: {0}")]
    Prepare(std::io::Error),
    #[error("cannot run {program}: {source}")]
    Run { program: String, source: std::io::Error },
    #[error("{builder} failed: {message}")]
    Failed { builder: String, message: String },
    #[error("{builder} printed text that is not UTF-8")]
    NotUtf8 { builder: String },
}

/// A program on PATH (or a path to one).
fn which(name: &str) -> Option<PathBuf> {
    let candidate = Path::new(name);
    if candidate.components().count() > 1 {
        return candidate.is_file().then(|| candidate.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl Builder {
    /// `command` when given (a program name or path; its file name `kubectl…` means `kubectl
    /// kustomize`), else `kubectl` on PATH, else `kustomize`. `Ok(None)`: neither exists.
    pub fn find(command: Option<&str>) -> Result<Option<Builder>, BuildError> {
        if let Some(command) = command {
            let program = which(command).ok_or_else(|| BuildError::NoSuchCommand(command.to_string()))?;
            let kubectl = program.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("kubectl"));
            return Ok(Some(Builder { program, kubectl }));
        }
        Ok(which("kubectl")
            .map(|program| Builder { program, kubectl: true })
            .or_else(|| which("kustomize").map(|program| Builder { program, kubectl: false })))
    }

    /// `kubectl kustomize` or `kustomize build`, as reports name it.
    pub fn name(&self) -> String {
        let program = self.program.file_name().map_or_else(|| self.program.display().to_string(), |n| n.to_string_lossy().into_owned());
        if self.kubectl {
            format!("{program} kustomize")
        } else {
            format!("{program} build")
        }
    }

    /// Build one root; the text kustomize printed, and the wrapper directory its origin
    /// annotations are relative to (dropped by the caller once they are mapped).
    pub fn build(&self, root: &Kustomization) -> Result<(String, tempfile::TempDir), BuildError> {
        let wrapper = tempfile::Builder::new().prefix("bindery-kustomize-").tempdir().map_err(BuildError::Prepare)?;
        let wrapper_dir = std::fs::canonicalize(wrapper.path()).map_err(BuildError::Prepare)?;
        let target = relative_from(&wrapper_dir, &root.abs);
        let text =
            format!("resources:\n- {}\nbuildMetadata: [originAnnotations]\n", serde_json::to_string(&target).expect("a string serializes"));
        std::fs::write(wrapper_dir.join("kustomization.yaml"), text).map_err(BuildError::Prepare)?;
        let mut cmd = Command::new(&self.program);
        if self.kubectl {
            cmd.arg("kustomize");
        } else {
            cmd.arg("build");
        }
        if !root.resolvers.is_empty() {
            let home = wrapper_dir.join(".plugins");
            for api in &root.resolvers {
                pass_through_plugin(&home, api).map_err(BuildError::Prepare)?;
            }
            cmd.arg("--enable-alpha-plugins").env("KUSTOMIZE_PLUGIN_HOME", &home);
        }
        if root.helm {
            cmd.arg("--enable-helm");
        }
        cmd.arg(&wrapper_dir).stdin(std::process::Stdio::null());
        let out = cmd.output().map_err(|source| BuildError::Run { program: self.program.display().to_string(), source })?;
        if !out.status.success() {
            let message = failure_message(&String::from_utf8_lossy(&out.stderr), &wrapper_dir);
            return Err(BuildError::Failed { builder: self.name(), message });
        }
        let text = String::from_utf8(out.stdout).map_err(|_| BuildError::NotUtf8 { builder: self.name() })?;
        Ok((text, wrapper))
    }
}

/// The legacy exec plugin kustomize looks up for `apiVersion` `BindingResolver`, as a script
/// that passes its input through unchanged.
fn pass_through_plugin(home: &Path, api_version: &str) -> std::io::Result<()> {
    let (group, version) = api_version.split_once('/').unwrap_or(("bindery.dev", api_version));
    let dir = home.join(group).join(version).join("bindingresolver");
    std::fs::create_dir_all(&dir)?;
    let plugin = dir.join("BindingResolver");
    std::fs::write(&plugin, "#!/bin/sh\n# bindery: pass the resources through, so the build is what bindery receives.\nexec cat\n")?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755))
}

/// kustomize's error without the log prefix (`E1203 12:00:00 … run.go:72] "command failed"
/// err="…"`), with the wrapper directory's path left out.
fn failure_message(stderr: &str, wrapper: &Path) -> String {
    let mut text = stderr.trim().to_string();
    if let Some(i) = text.find("err=") {
        text = text[i + 4..].trim().to_string();
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            text = inner.replace("\\\"", "\"").replace("\\n", "\n");
        }
    } else if let Some(rest) = text.strip_prefix("Error: ") {
        text = rest.to_string();
    }
    let wrapper = wrapper.display().to_string();
    text.replace(&format!("'{wrapper}': "), "").replace(&wrapper, "<build>")
}

/// The relative path from directory `from` to `to` (both absolute, resolved).
pub fn relative_from(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_between_directories() {
        assert_eq!(relative_from(Path::new("/tmp/w"), Path::new("/work/repo/base")), "../../work/repo/base");
        assert_eq!(relative_from(Path::new("/work/repo"), Path::new("/work/repo/base")), "base");
        assert_eq!(relative_from(Path::new("/work/repo"), Path::new("/work/repo")), ".");
    }

    #[test]
    fn kustomize_errors_lose_the_log_prefix_and_the_wrapper() {
        let stderr = "E1203 12:58:29.020782   29613 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '/tmp/w': bad\"\n";
        assert_eq!(
            failure_message(stderr, Path::new("/tmp/w")),
            "accumulating resources: accumulation err='accumulating resources from bad"
        );
        assert_eq!(failure_message("Error: no kustomization\n", Path::new("/tmp/w")), "no kustomization");
    }

    #[test]
    fn a_named_command_must_exist() {
        assert!(matches!(Builder::find(Some("/nonexistent/kubectl")), Err(BuildError::NoSuchCommand(_))));
        let b = Builder { program: PathBuf::from("/usr/bin/kubectl"), kubectl: true };
        assert_eq!(b.name(), "kubectl kustomize");
        assert_eq!(Builder { program: PathBuf::from("kustomize"), kubectl: false }.name(), "kustomize build");
    }
}

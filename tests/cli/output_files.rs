//! Where `render -o` and `materialize --root` write, and what happens when they cannot: never
//! through a symbolic link, never into (or over) the input, never half a set, and never over a
//! directory bindery did not write.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::common;

use common::{tempdir, write};

fn bindery<I, S>(args: I) -> common::Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    common::run(&mut common::bindery_command(args), common::TIMEOUT)
}

/// `bindery render INPUT... -o OUT`.
fn render_to(inputs: &[&Path], out: &Path) -> common::Out {
    let mut args: Vec<&OsStr> = vec![OsStr::new("render")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([OsStr::new("-o"), out.as_os_str()]);
    bindery(args)
}

/// Every entry under `dir` (files, directories, links), relative, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

const FIXTURE: &str = "fixtures/direct-secret-selector";

#[cfg(unix)]
#[test]
fn render_o_never_writes_through_a_link_in_the_output() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    render_to(&[Path::new(FIXTURE)], &out).ok();
    // Someone plants links in the output: a file and a directory that point elsewhere.
    let victim = write(tmp.path(), "victim.yaml", "keep me\n");
    let victim_dir = tmp.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    std::fs::remove_file(out.join("secret.yaml")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("secret.yaml")).unwrap();
    std::os::unix::fs::symlink(&victim_dir, out.join("nested")).unwrap();
    let input = tempdir();
    common::copy_dir(&common::repo().join(FIXTURE), input.path());
    write(input.path(), "nested/more.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: more}\n");
    render_to(&[input.path()], &out).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n", "a link target was overwritten");
    assert!(entries(&victim_dir).is_empty(), "written through a linked directory: {:?}", entries(&victim_dir));
    for rel in ["secret.yaml", "nested"] {
        assert!(!std::fs::symlink_metadata(out.join(rel)).unwrap().file_type().is_symlink(), "{rel} is still a link");
    }
    assert!(std::fs::read_to_string(out.join("secret.yaml")).unwrap().contains("kind: Secret"));
    assert!(out.join("nested/more.yaml").is_file());
}

#[cfg(unix)]
#[test]
fn render_o_file_replaces_a_link_instead_of_writing_through_it() {
    let tmp = tempdir();
    let victim = write(tmp.path(), "victim.txt", "keep me\n");
    let out = tmp.path().join("all.yaml");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    render_to(&[Path::new(FIXTURE)], &out).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert!(!std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), bindery(["render", FIXTURE]).stdout);
}

#[test]
fn a_failed_write_leaves_nothing_behind_and_names_the_file() {
    // Two inputs whose layouts collide: `x.yaml` is a file in one and a directory in the other,
    // so the second cannot be written once the first is.
    let tmp = tempdir();
    write(tmp.path(), "a/x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    write(tmp.path(), "b/x.yaml/y.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let fresh = tmp.path().join("fresh");
    let run = render_to(&[a.as_path(), b.as_path()], &fresh);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains(&format!("{}", fresh.join("x.yaml/y.yaml").display())), "names the file: {}", run.stderr);
    assert!(!fresh.exists(), "a half-written output: {:?}", entries(&fresh));
    // An earlier output stays exactly as it was.
    let earlier = tmp.path().join("earlier");
    render_to(&[a.as_path()], &earlier).ok();
    let before: Vec<(PathBuf, Vec<u8>)> =
        entries(&earlier).into_iter().map(|r| (r.clone(), std::fs::read(earlier.join(&r)).unwrap())).collect();
    render_to(&[a.as_path(), b.as_path()], &earlier).fails();
    let after: Vec<(PathBuf, Vec<u8>)> =
        entries(&earlier).into_iter().map(|r| (r.clone(), std::fs::read(earlier.join(&r)).unwrap())).collect();
    assert_eq!(before, after);
    // Nothing is left beside the output either.
    let mut names: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["a", "b", "earlier"]);
}

#[test]
fn render_o_replaces_its_own_output_as_a_whole() {
    let tmp = tempdir();
    let input = tmp.path().join("in");
    write(&input, "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    write(&input, "old/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
    let out = tmp.path().join("out");
    render_to(&[input.as_path()], &out).ok();
    assert!(out.join("old/b.yaml").is_file());
    // b.yaml moves, a.yaml is deleted from the input.
    std::fs::remove_file(input.join("a.yaml")).unwrap();
    std::fs::rename(input.join("old"), input.join("new")).unwrap();
    render_to(&[input.as_path()], &out).ok();
    assert_eq!(entries(&out), [PathBuf::from(".bindery-output"), PathBuf::from("new"), PathBuf::from("new/b.yaml")]);
}

#[test]
fn render_o_refuses_a_directory_it_did_not_write() {
    let tmp = tempdir();
    let out = tmp.path().join("precious");
    write(&out, "notes.txt", "mine\n");
    let run = render_to(&[Path::new(FIXTURE)], &out);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("did not write"), "{}", run.stderr);
    assert_eq!(entries(&out), [PathBuf::from("notes.txt")]);
    // An empty directory is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    render_to(&[Path::new(FIXTURE)], &empty).ok();
    assert!(empty.join("secret.yaml").is_file());
}

#[test]
fn render_o_refuses_the_input_and_anything_inside_or_around_it() {
    let tmp = tempdir();
    let input = tmp.path().join("deploy");
    common::copy_dir(&common::repo().join(FIXTURE), &input);
    let before = entries(&input);
    for (out, words) in [
        (input.clone(), "is the input"),
        (input.join("rendered"), "lies inside the input"),
        (input.join("all.yaml"), "lies inside the input"),
        (input.join("secret.yaml"), "lies inside the input"),
        (tmp.path().to_path_buf(), "holds the input"),
    ] {
        let run = render_to(&[input.as_path()], &out);
        assert_eq!(run.code, Some(2), "-o {}: {}", out.display(), run.stderr);
        assert!(run.stderr.contains(words), "-o {}: {}", out.display(), run.stderr);
    }
    let file = input.join("secret.yaml");
    let run = render_to(&[file.as_path()], &file);
    assert!(run.code == Some(2) && run.stderr.contains("is the input"), "{}", run.stderr);
    assert_eq!(entries(&input), before, "the input changed");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn materialize_never_follows_a_linked_directory_and_makes_directories_private() {
    let tmp = tempdir();
    let root = tmp.path().join("bindings");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("cache")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = bindery([
        OsStr::new("materialize"),
        OsStr::new("--root"),
        root.as_os_str(),
        OsStr::new(FIXTURE),
        OsStr::new("--workload=deployment/storefront-web"),
        OsStr::new("--show-secrets"),
    ]);
    run.ok();
    assert!(entries(&elsewhere).is_empty(), "Secret files written through a link: {:?}", entries(&elsewhere));
    assert!(!std::fs::symlink_metadata(root.join("cache")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(root.join("cache/password")).unwrap(), "rds-Sf9xT2wQ-cache");
    assert_eq!(mode(&root) & 0o022, 0, "the root stays writable by others: {:o}", mode(&root));
    assert_eq!(mode(&root.join("cache")), 0o700);
}

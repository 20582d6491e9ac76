//! Directory inputs: walked in byte order of names, depth first, so runs are reproducible.
//!
//! The walk keeps its own stack of open directories instead of recursing: a tree thousands of
//! levels deep (a symlink-free loop made with `mkdir -p`, a fuzzer's output) must not overflow
//! the walker thread's stack. Memory is one frame per level: the names still to visit there.
//!
//! Symlinks are never followed (they could leave the tree or loop) and fifos, sockets and
//! devices are never opened (a fifo would block); both are listed in `skipped`. Damage in one
//! file stops only that file: the rest of the tree is still walked, except when the input's
//! decompression budget is spent.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::walker::{Loc, Stopped, Walked, Walker};

/// One directory being walked.
struct Frame {
    path: PathBuf,
    /// This directory's own name, as it appears in `Loc::inside` (empty for the root).
    name: String,
    /// Entries not yet visited, sorted in reverse so that `pop` yields them in order.
    todo: Vec<OsString>,
}

impl Walker<'_> {
    pub(crate) fn dir(&mut self, root: &Path, inside: &[String]) -> Walked {
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(todo) = self.list(root) {
            stack.push(Frame {
                path: root.to_path_buf(),
                name: String::new(),
                todo,
            });
        }
        while let Some(top) = stack.last_mut() {
            let Some(n) = top.todo.pop() else {
                stack.pop();
                continue;
            };
            let child = top.path.join(&n);
            let shown = child.display().to_string();
            let file_name = n.to_string_lossy().into_owned();
            let md = match fs::symlink_metadata(&child) {
                Ok(m) => m,
                Err(e) => {
                    self.error(&shown, format_args!("cannot read: {e}"));
                    continue;
                }
            };
            let ft = md.file_type();
            if ft.is_symlink() {
                self.skip(&shown, "symlink: not followed");
            } else if ft.is_dir() {
                if let Some(todo) = self.list(&child) {
                    stack.push(Frame {
                        path: child,
                        name: file_name,
                        todo,
                    });
                }
            } else if ft.is_file() {
                let mut within = inside.to_vec();
                within.extend(stack.iter().skip(1).map(|f| f.name.clone()));
                let loc = Loc {
                    name: shown,
                    inside: within,
                    file_name,
                    top: false,
                };
                if self.open_file(&child, &loc, "the file").is_err() && self.budget.exceeded() {
                    return Err(Stopped);
                }
            } else {
                self.skip(
                    &shown,
                    "not a regular file (fifo, socket or device): not read",
                );
            }
        }
        Ok(())
    }

    /// The names in directory `path`, sorted for popping (last first); `None` when it cannot
    /// be read (recorded as damage).
    fn list(&mut self, path: &Path) -> Option<Vec<OsString>> {
        let shown = path.display().to_string();
        let rd = match fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                self.error(&shown, format_args!("cannot read directory: {e}"));
                return None;
            }
        };
        let mut names = Vec::new();
        for ent in rd {
            match ent {
                Ok(e) => names.push(e.file_name()),
                Err(e) => self.error(&shown, format_args!("cannot list directory: {e}")),
            }
        }
        names.sort_unstable_by(|a, b| b.cmp(a));
        Some(names)
    }
}

//! Directory inputs: walked recursively in byte order of names, so runs are reproducible.
//!
//! Symlinks are never followed (they could leave the tree or loop) and fifos, sockets and
//! devices are never opened (a fifo would block); both are listed in `skipped`. Damage in one
//! file stops only that file: the rest of the tree is still walked, except when the input's
//! decompression budget is spent.

use std::fs;
use std::path::Path;

use super::walker::{Loc, Stopped, Walked, Walker};

impl Walker<'_> {
    pub(crate) fn dir(&mut self, path: &Path, inside: &[String]) -> Walked {
        let shown = path.display().to_string();
        let rd = match fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                self.error(&shown, format_args!("cannot read directory: {e}"));
                return Ok(());
            }
        };
        let mut names = Vec::new();
        for ent in rd {
            match ent {
                Ok(e) => names.push(e.file_name()),
                Err(e) => self.error(&shown, format_args!("cannot list directory: {e}")),
            }
        }
        names.sort();
        for n in names {
            let child = path.join(&n);
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
                let mut deeper = inside.to_vec();
                deeper.push(file_name);
                self.dir(&child, &deeper)?;
            } else if ft.is_file() {
                let loc = Loc {
                    name: shown,
                    inside: inside.to_vec(),
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
}

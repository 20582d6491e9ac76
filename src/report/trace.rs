//! `--format trace`: Chrome Trace Event JSON, for Perfetto (ui.perfetto.dev) or `chrome://tracing`.
//!
//! People already have a timeline viewer; this hands them the job's life in its format:
//! `ph:"X"` spans, one per job state (from that state's first line to the next state's, or to the
//! job's last line), with `pid` = the instance whose log showed it and `tid` = the job id;
//! `ph:"i"` instants for the job's error lines and its rollback; and one `ph:"X"` span per fault
//! window on a per-instance "fault windows" track (`tid` 0). `ts`/`dur` are microseconds since the
//! Unix epoch. `ph:"M"` metadata names the processes (instances) and threads (jobs), because the
//! format wants numeric ids.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::analyze::Analysis;
use crate::model::Timestamp;

fn us(t: &Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The trace document, pretty JSON with a trailing newline.
pub fn render(a: &Analysis) -> String {
    let file_instance: BTreeMap<&str, &str> = a
        .files
        .iter()
        .map(|f| (f.meta.name.as_str(), f.meta.instance.as_str()))
        .collect();
    let mut pids: BTreeMap<String, u64> = BTreeMap::new();
    let mut pid = |name: &str| -> u64 {
        let n = pids.len() as u64 + 1;
        *pids.entry(name.to_string()).or_insert(n)
    };
    let mut ev: Vec<Value> = Vec::new();
    let mut threads: BTreeMap<(u64, i64), String> = BTreeMap::new();
    for j in &a.timelines.jobs {
        let label = format!(
            "job {} {} {}",
            j.job_id,
            j.job_type.as_deref().unwrap_or(""),
            j.table.as_deref().unwrap_or("")
        );
        let default_inst = j.instances.first().map(String::as_str).unwrap_or("?");
        for (k, s) in j.states.iter().enumerate() {
            let Some(t) = s.evidence.ts else { continue };
            let end = j
                .states
                .get(k + 1)
                .and_then(|n| n.evidence.ts)
                .or(j.last_seen)
                .unwrap_or(t);
            let inst = file_instance
                .get(&*s.evidence.file)
                .copied()
                .unwrap_or(default_inst);
            let p = pid(inst);
            threads.insert((p, j.job_id), label.clone());
            ev.push(json!({
                "name": format!("{} / {}", s.state, s.schema_state),
                "cat": "state",
                "ph": "X",
                "ts": us(&t),
                "dur": (us(&end) - us(&t)).max(0),
                "pid": p,
                "tid": j.job_id,
                "args": {"file": &*s.evidence.file, "line": s.evidence.line},
            }));
        }
        for e in j.events.iter().filter(|e| e.error.is_some()) {
            let Some(t) = e.ts else { continue };
            let p = pid(&e.instance);
            threads.insert((p, j.job_id), label.clone());
            ev.push(json!({
                "name": "error",
                "cat": "error",
                "ph": "i",
                "s": "t",
                "ts": us(&t),
                "pid": p,
                "tid": j.job_id,
                "args": {"error": e.error, "file": &*e.evidence.file, "line": e.evidence.line},
            }));
        }
        if let Some(r) = &j.rollback {
            if let Some(t) = r.evidence.ts {
                let inst = file_instance
                    .get(&*r.evidence.file)
                    .copied()
                    .unwrap_or(default_inst);
                let p = pid(inst);
                threads.insert((p, j.job_id), label.clone());
                ev.push(json!({
                    "name": "rollback",
                    "cat": "rollback",
                    "ph": "i",
                    "s": "p",
                    "ts": us(&t),
                    "pid": p,
                    "tid": j.job_id,
                    "args": {"error": r.error, "err_count": r.err_count, "message": r.message},
                }));
            }
        }
    }
    for w in &a.fault_windows.instance {
        let inst = w.instances.first().map(String::as_str).unwrap_or("?");
        let p = pid(inst);
        threads.insert((p, 0), "fault windows".to_string());
        let kinds: BTreeMap<&str, u64> = w.kinds.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        ev.push(json!({
            "name": "fault window",
            "cat": "fault",
            "ph": "X",
            "ts": us(&w.start),
            "dur": (us(&w.end) - us(&w.start)).max(0),
            "pid": p,
            "tid": 0,
            "args": {"kinds": kinds},
        }));
    }
    for (name, p) in &pids {
        ev.push(
            json!({"name": "process_name", "ph": "M", "pid": p, "tid": 0, "args": {"name": name}}),
        );
    }
    for ((p, tid), name) in &threads {
        ev.push(
            json!({"name": "thread_name", "ph": "M", "pid": p, "tid": tid, "args": {"name": name}}),
        );
    }
    let doc = json!({"traceEvents": ev, "displayTimeUnit": "ms"});
    let mut s = serde_json::to_string_pretty(&doc).expect("json values serialise");
    s.push('\n');
    s
}

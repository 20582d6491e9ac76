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

use crate::model::Timestamp;
use crate::report::Report;

fn us(t: &Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The trace document, pretty JSON with a trailing newline, from the report's lanes.
pub fn render(r: &Report) -> String {
    let file_instance: BTreeMap<&str, &str> = r
        .inputs
        .iter()
        .flat_map(|i| &i.files)
        .map(|f| (f.name.as_str(), f.instance.as_str()))
        .collect();
    let mut pids: BTreeMap<String, u64> = BTreeMap::new();
    let mut pid = |name: &str| -> u64 {
        let n = pids.len() as u64 + 1;
        *pids.entry(name.to_string()).or_insert(n)
    };
    let mut ev: Vec<Value> = Vec::new();
    let mut threads: BTreeMap<(u64, i64), String> = BTreeMap::new();
    for j in &r.picture.jobs {
        let label = j.trace_label.clone();
        let default_inst = j.instances.first().map(String::as_str).unwrap_or("?");
        for (k, s) in j.states.iter().enumerate() {
            let t = s.ts;
            let end = j.states.get(k + 1).map(|n| n.ts).unwrap_or(j.last);
            let inst = file_instance.get(&*s.file).copied().unwrap_or(default_inst);
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
                "args": {"file": &*s.file, "line": s.line},
            }));
        }
        for e in &j.errors {
            let t = e.ts;
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
                "args": {"error": e.error, "file": &*e.file, "line": e.line},
            }));
        }
        if let Some(rb) = &j.rollback {
            let t = rb.ts;
            let inst = file_instance
                .get(&*rb.file)
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
                "args": {"error": rb.error, "err_count": rb.err_count, "message": rb.message},
            }));
        }
    }
    for w in &r.picture.windows {
        let p = pid(&w.instance);
        threads.insert((p, 0), "fault windows".to_string());
        ev.push(json!({
            "name": "fault window",
            "cat": "fault",
            "ph": "X",
            "ts": us(&w.start),
            "dur": (us(&w.end) - us(&w.start)).max(0),
            "pid": p,
            "tid": 0,
            "args": {"kinds": w.kinds},
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

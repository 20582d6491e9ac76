//! `--format html`: one self-contained file with an SVG timeline, for a ticket attachment.
//!
//! The picture is meant to tell the story without the text: one lane per DDL job (state bands,
//! the ErrCount curve, a rollback marker), one lane per instance (error/fault-signal density and
//! the fault windows), on one shared time axis, with the findings and their evidence beside it.
//!
//! Self-contained on purpose: no script, no external stylesheet, font or image, no URL at all
//! (inline SVG in HTML5 needs no `xmlns`), so the file renders the same offline, in a mail
//! client's preview or behind a strict CSP. Everything from the logs is HTML-escaped.
//!
//! The report model has no per-state times or ErrCount series, so the lanes come from a
//! [`Picture`] that the report builder made from the analysis (`Report::picture`).

use std::fmt::Write as _;

use crate::model::{rfc3339, Timestamp};
use crate::report::lanes::Picture;
use crate::report::{Report, Severity};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    crate::render::escape::html(s)
}

const W: f64 = 860.0;
const LABEL: f64 = 170.0;
const JOB_H: f64 = 70.0;
const INST_H: f64 = 46.0;
const GAP: f64 = 10.0;
const AXIS_H: f64 = 28.0;

fn state_color(state: &str) -> &'static str {
    match state {
        "queueing" | "none" => "#b0bec5",
        "running" => "#4caf50",
        "rollingback" | "cancelling" => "#ff9800",
        "rollback done" | "cancelled" => "#e53935",
        "done" | "synced" => "#1e88e5",
        _ => "#9e9e9e",
    }
}

struct Axis {
    t0: Timestamp,
    span_ms: f64,
}

impl Axis {
    fn x(&self, t: Timestamp) -> f64 {
        let ms = (t - self.t0).num_milliseconds() as f64;
        LABEL + (ms / self.span_ms).clamp(0.0, 1.0) * (W - LABEL - 10.0)
    }
}

fn svg(p: &Picture) -> String {
    let mut times: Vec<Timestamp> = Vec::new();
    for j in &p.jobs {
        times.push(j.first);
        times.push(j.last);
    }
    for i in &p.instances {
        for (a, b, _) in &i.windows {
            times.push(*a);
            times.push(*b);
        }
        for (t, _) in &i.density {
            times.push(*t);
        }
    }
    let (Some(&t0), Some(&t1)) = (times.iter().min(), times.iter().max()) else {
        return "<p>No timed events to draw.</p>".to_string();
    };
    let span_ms = ((t1 - t0).num_milliseconds() as f64).max(1000.0);
    let ax = Axis { t0, span_ms };
    let h = AXIS_H
        + p.jobs.len() as f64 * (JOB_H + GAP)
        + p.instances.len() as f64 * (INST_H + GAP)
        + 20.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="timeline" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="DDL job and instance timeline">"#
    );
    // Time axis: six ticks.
    for k in 0..=5 {
        let t = t0 + chrono::Duration::milliseconds((span_ms * k as f64 / 5.0) as i64);
        let x = ax.x(t);
        let anchor = match k {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        let fmt = if span_ms < 60_000.0 {
            "%H:%M:%S%.3f"
        } else {
            "%H:%M:%S"
        };
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{AXIS_H}" x2="{x:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{x:.1}" y="16" font-size="11" text-anchor="{anchor}" fill="#555">{}</text>"##,
            h - 20.0,
            esc(&t.format(fmt).to_string())
        );
    }
    let mut y = AXIS_H;
    for j in &p.jobs {
        let _ = write!(
            s,
            r##"<g class="job-lane" data-job="{id}"><rect x="0" y="{y}" width="{W}" height="{JOB_H}" fill="#fafafa"/><text x="6" y="{:.1}" font-size="12" font-weight="bold">{}</text><text x="6" y="{:.1}" font-size="11" fill="#555">{}</text>"##,
            y + 20.0,
            esc(&format!("job {}", j.job_id)),
            y + 36.0,
            esc(&truncate(&j.label, 28)),
            id = j.job_id
        );
        let _ = write!(
            s,
            r##"<text x="6" y="{:.1}" font-size="11" fill="{}">{}</text>"##,
            y + 52.0,
            state_color(&j.outcome),
            esc(&j.outcome)
        );
        // State bands along the top half of the lane.
        let band_y = y + 6.0;
        let band_h = 18.0;
        for (k, mark) in j.states.iter().enumerate() {
            let (t, st, schema) = (&mark.ts, &mark.state, &mark.schema_state);
            let end = j.states.get(k + 1).map(|n| n.ts).unwrap_or(j.last);
            let (x0, x1) = (ax.x(*t), ax.x(end));
            let _ = write!(
                s,
                r##"<rect class="state" x="{x0:.1}" y="{band_y}" width="{:.1}" height="{band_h}" fill="{}"><title>{}</title></rect>"##,
                (x1 - x0).max(2.0),
                state_color(st),
                esc(&format!(
                    "{st} / {schema} from {}",
                    t.format("%H:%M:%S%.3f")
                ))
            );
            if x1 - x0 > 70.0 {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#fff">{}</text>"##,
                    x0 + 3.0,
                    band_y + 13.0,
                    esc(st)
                );
            }
        }
        // ErrCount curve in the bottom part of the lane, scaled to its maximum.
        let max = j.err_counts.iter().map(|e| e.1).max().unwrap_or(0).max(1) as f64;
        let (cy0, ch) = (y + JOB_H - 6.0, 36.0);
        if !j.err_counts.is_empty() {
            let pts: Vec<String> = j
                .err_counts
                .iter()
                .map(|(t, n)| format!("{:.1},{:.1}", ax.x(*t), cy0 - ch * (*n as f64 / max)))
                .collect();
            let _ = write!(
                s,
                r##"<polyline class="errcount" points="{}" fill="none" stroke="#6a1b9a" stroke-width="2"><title>ErrCount (max {})</title></polyline>"##,
                pts.join(" "),
                max as u64
            );
            if let Some((t, n)) = j.err_counts.last() {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#6a1b9a" text-anchor="end">ErrCount {n}</text>"##,
                    ax.x(*t) - 4.0,
                    cy0 - ch * (*n as f64 / max) + 12.0
                );
            }
        }
        for t in j.errors.iter().map(|e| &e.ts) {
            let x = ax.x(*t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#c62828" stroke-width="1"/>"##,
                cy0,
                cy0 + 4.0
            );
        }
        if let Some(t) = j.rollback.as_ref().map(|r| r.ts) {
            let x = ax.x(t);
            let _ = write!(
                s,
                r##"<g class="rollback"><line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{:.1}" stroke="#d50000" stroke-width="3"/><polygon points="{:.1},{y} {:.1},{y} {x:.1},{:.1}" fill="#d50000"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#d50000" text-anchor="end">rollback {}</text></g>"##,
                y + JOB_H,
                x - 7.0,
                x + 7.0,
                y + 10.0,
                x - 9.0,
                y + JOB_H - 3.0,
                esc(&t.format("%H:%M:%S").to_string())
            );
        }
        s.push_str("</g>");
        y += JOB_H + GAP;
    }
    for i in &p.instances {
        let _ = write!(
            s,
            r##"<g class="instance-lane" data-instance="{}"><rect x="0" y="{y}" width="{W}" height="{INST_H}" fill="#f5f7fa"/><text x="6" y="{:.1}" font-size="12">{}</text>"##,
            esc(&i.name),
            y + 27.0,
            esc(&truncate(&i.name, 24))
        );
        for (a, b, kinds) in &i.windows {
            let (x0, x1) = (ax.x(*a), ax.x(*b));
            let _ = write!(
                s,
                r##"<rect class="fault-window" x="{x0:.1}" y="{y}" width="{:.1}" height="{INST_H}" fill="#ffb74d" fill-opacity="0.45" stroke="#ef6c00"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" fill="#e65100">fault {}</text>"##,
                (x1 - x0).max(3.0),
                esc(&format!(
                    "fault window {} – {}: {kinds}",
                    a.format("%H:%M:%S"),
                    b.format("%H:%M:%S")
                )),
                x0 + 2.0,
                y + 11.0,
                esc(&format!(
                    "{}–{}",
                    a.format("%H:%M:%S"),
                    b.format("%H:%M:%S")
                ))
            );
        }
        let max = i.density.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
        let bw = (ax.x(i.density.first().map(|d| d.0).unwrap_or(t0)
            + chrono::Duration::seconds(crate::fault::BUCKET_SECS))
            - ax.x(i.density.first().map(|d| d.0).unwrap_or(t0)))
        .max(2.0);
        for (t, n) in &i.density {
            let bh = (INST_H - 14.0) * (*n as f64 / max);
            let x = ax.x(*t);
            // A bucket is 10 s wide: on a short time axis, stop it at the axis end.
            let bw = bw.min(W - 10.0 - x).max(2.0);
            let _ = write!(
                s,
                r##"<rect class="density" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="#37474f"><title>{}</title></rect>"##,
                y + INST_H - bh,
                esc(&format!(
                    "{n} error/fault lines from {}",
                    t.format("%H:%M:%S")
                ))
            );
        }
        s.push_str("</g>");
        y += INST_H + GAP;
    }
    s.push_str("</svg>");
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:16px;color:#222}\
h1{font-size:18px;margin:0 0 8px}.wrap{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}\
.pic{flex:0 0 auto}.findings{flex:1 1 360px;min-width:300px;max-width:900px}\
.f{border-left:4px solid #999;padding:4px 10px;margin:0 0 12px;background:#fafafa}\
.f.error{border-color:#d50000}.f.warning{border-color:#ff9800}.f.info{border-color:#1e88e5}\
.f h3{font-size:14px;margin:2px 0}.f p{font-size:12px;margin:4px 0}\
pre{font-size:11px;white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #eee;padding:4px;margin:2px 0}\
.legend span{display:inline-block;font-size:11px;margin-right:10px}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px}\
.fault{color:#e65100;font-weight:bold}";

/// The whole page.
pub fn render(report: &Report) -> String {
    let picture = Some(&report.picture);
    let mut h = String::new();
    let jobs: Vec<String> = report.jobs.iter().map(|j| j.job_id.to_string()).collect();
    let title = format!(
        "ddldiag: {} error, {} warning · job{} {}",
        report.summary.findings.error,
        report.summary.findings.warning,
        if jobs.len() == 1 { "" } else { "s" },
        jobs.join(", ")
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    if let Some(reason) = crate::report::incomplete_reason(report) {
        let mut reason = reason.to_string();
        reason[..1].make_ascii_uppercase();
        let _ = writeln!(
            h,
            "<p class=\"fault\">{}: this report is partial.</p>",
            esc(&reason)
        );
    }
    h.push_str("<div class=\"legend\">");
    for (name, c) in [
        ("queueing", "#b0bec5"),
        ("running", "#4caf50"),
        ("rollingback", "#ff9800"),
        ("rollback done", "#e53935"),
        ("synced / done", "#1e88e5"),
        ("ErrCount", "#6a1b9a"),
        ("fault window", "#ffb74d"),
        ("error / fault lines", "#37474f"),
    ] {
        let _ = write!(
            h,
            "<span><i style=\"background:{c}\"></i>{}</span>",
            esc(name)
        );
    }
    h.push_str("</div>\n<div class=\"wrap\"><div class=\"pic\">");
    match picture {
        Some(p) => h.push_str(&svg(p)),
        None => h.push_str("<p>No timeline data.</p>"),
    }
    h.push_str("</div>\n<div class=\"findings\">");
    let cluster = report.cluster_windows();
    if !cluster.is_empty() {
        h.push_str("<h2 style=\"font-size:15px\">Fault windows</h2><ul style=\"font-size:12px\">");
        for w in cluster {
            let kinds = w.kinds_summary();
            let _ = write!(
                h,
                "<li>{} – {} on {}: {}</li>",
                esc(&rfc3339(&w.start)),
                esc(&rfc3339(&w.end)),
                esc(&w.instances.join(", ")),
                esc(&kinds)
            );
        }
        h.push_str("</ul>");
    }
    let _ = write!(
        h,
        "<h2 style=\"font-size:15px\">Findings ({})</h2>",
        report.findings.len()
    );
    for f in &report.findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let job = f.job_id.map(|j| format!(" · job {j}")).unwrap_or_default();
        let _ = write!(
            h,
            "<div class=\"f {sev}\" data-rule=\"{}\"><h3>{} {} {}{}</h3><p><b>{}</b></p><p>{}</p>",
            esc(&f.rule),
            esc(&sev.to_uppercase()),
            esc(&f.rule),
            esc(&f.name),
            esc(&job),
            esc(&f.title),
            esc(&f.explanation)
        );
        if let Some(fc) = &f.fault_overlap {
            let _ = write!(h, "<p class=\"fault\">Fault: {}</p>", esc(&fc.note));
        }
        if !f.suggestion.is_empty() {
            let _ = write!(h, "<p>→ {}</p>", esc(&f.suggestion));
        }
        if !f.known_issues.is_empty() {
            let _ = write!(
                h,
                "<p>Known issues: {}</p>",
                esc(&f.known_issues.join(", "))
            );
        }
        for e in f.evidence.iter().take(8) {
            let _ = write!(
                h,
                "<pre>{}:{}\n{}</pre>",
                esc(&e.file),
                e.line,
                esc(&e.text)
            );
        }
        if f.evidence.len() > 8 {
            let _ = write!(
                h,
                "<p>… {} more evidence lines (see --format json)</p>",
                f.evidence.len() - 8
            );
        }
        h.push_str("</div>");
    }
    let _ = write!(
        h,
        "</div></div>\n<p style=\"font-size:11px;color:#777\">ddldiag {} · exit code {}</p>\n</body></html>\n",
        esc(&report.tool.version),
        report.summary.exit_code
    );
    h
}

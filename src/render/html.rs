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
use crate::report::{Report, Severity};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    crate::render::escape::html(s)
}

/// A rule's prose (title, explanation, suggestion) for the page: escaped, and its Markdown code
/// spans (`` `task not resumable` ``) as `<code>`, so no raw backtick shows. An unpaired
/// backtick stays what it is.
pub fn prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() < 3 {
        return esc(s);
    }
    let mut out = String::new();
    let pairs = (parts.len() - 1) / 2;
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            if k <= 2 * pairs {
                out.push_str(if k % 2 == 1 { "<code>" } else { "</code>" });
            } else {
                out.push('`');
            }
        }
        out.push_str(&esc(part));
    }
    out
}

/// The viewBox width; the SVG scales to its container (`width="100%"`), so nothing is cut at
/// a fixed pixel width and a wide window gives every lane more room.
const W: f64 = 1200.0;
/// Left and right margins of every time axis.
const PAD: f64 = 12.0;
const OVERVIEW_H: f64 = 64.0;
const JOB_H: f64 = 132.0;
const INST_H: f64 = 58.0;
const GAP: f64 = 12.0;
/// The share of a job lane given to a long quiet stretch at its end (a broken axis).
const QUIET_SHARE: f64 = 0.16;
/// A job quiet this long before the end of the logs gets a broken-axis tail and a stall mark.
const QUIET_SECS: i64 = 60;

fn state_color(state: &str) -> &'static str {
    match state {
        "queueing" | "none" => "#b0bec5",
        "running" => "#4caf50",
        "rollingback" | "cancelling" => "#ff9800",
        "rollback done" | "cancelled" => "#e53935",
        "done" | "synced" => "#1e88e5",
        "paused" | "pausing" => "#8d6e63",
        _ => "#9e9e9e",
    }
}

/// A linear time scale from `t0..t1` onto `x0..x1`.
#[derive(Clone, Copy)]
struct Axis {
    t0: Timestamp,
    span_ms: f64,
    x0: f64,
    x1: f64,
}

impl Axis {
    fn new(t0: Timestamp, t1: Timestamp, x0: f64, x1: f64) -> Axis {
        let span_ms = ((t1 - t0).num_milliseconds() as f64).max(1.0);
        Axis {
            t0,
            span_ms,
            x0,
            x1,
        }
    }

    /// A scale padded by 2% of the span on each side, at least 100 ms.
    fn padded(t0: Timestamp, t1: Timestamp, x0: f64, x1: f64) -> Axis {
        let pad = ((t1 - t0).num_milliseconds() / 50).max(100);
        let d = chrono::Duration::milliseconds(pad);
        Axis::new(t0 - d, t1 + d, x0, x1)
    }

    fn x(&self, t: Timestamp) -> f64 {
        let ms = (t - self.t0).num_milliseconds() as f64;
        self.x0 + (ms / self.span_ms).clamp(0.0, 1.0) * (self.x1 - self.x0)
    }

    fn end(&self) -> Timestamp {
        self.t0 + chrono::Duration::milliseconds(self.span_ms as i64)
    }

    /// Tick labels: the time format that tells ticks of this span apart.
    fn fmt(&self) -> &'static str {
        if self.span_ms < 20_000.0 {
            "%H:%M:%S%.3f"
        } else {
            "%H:%M:%S"
        }
    }

    /// `n + 1` ticks from start to end, with their labels, drawn from `y_top` to `y_axis`.
    fn ticks(&self, s: &mut String, n: u32, y_top: f64, y_axis: f64) {
        for k in 0..=n {
            let t = self.t0
                + chrono::Duration::milliseconds(
                    (self.span_ms * f64::from(k) / f64::from(n)) as i64,
                );
            let x = self.x(t);
            let anchor = match k {
                0 => "start",
                k if k == n => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{y_top:.1}" x2="{x:.1}" y2="{y_axis:.1}" stroke="#e0e0e0"/><text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="#666">{}</text>"##,
                y_axis + 11.0,
                esc(&t.format(self.fmt()).to_string())
            );
        }
    }
}

/// A job lane's time axis, broken over the stretches in which the job logged nothing (the
/// report builder proves them: no kept line, and no dropped one can fall there): a job that
/// logs for two seconds
/// after eighteen quiet minutes gets those seconds a readable width, and each quiet stretch a
/// fixed [`BREAK_W`] marked as a break, instead of one linear scale on which everything that
/// happened is a sliver at one end.
struct LaneAxis {
    segs: Vec<Axis>,
    /// (from, to, x0, x1) of each break.
    breaks: Vec<(Timestamp, Timestamp, f64, f64)>,
}

/// Width of one break in a job lane's axis.
const BREAK_W: f64 = 70.0;

impl LaneAxis {
    /// Segments from `first` to `last`, broken over the `idle` stretches (in time order, each
    /// inside the span: [`JobLane::idle`](crate::report::lanes::JobLane)).
    fn new(
        first: Timestamp,
        last: Timestamp,
        idle: &[(Timestamp, Timestamp)],
        x0: f64,
        x1: f64,
    ) -> LaneAxis {
        let mut runs: Vec<(Timestamp, Timestamp)> = Vec::new();
        let mut from = first;
        for (a, b) in idle {
            if *a >= from && *b <= last && a < b {
                runs.push((from, *a));
                from = *b;
            }
        }
        runs.push((from, last));
        let n_breaks = runs.len() - 1;
        let active = (x1 - x0) - n_breaks as f64 * BREAK_W;
        // Each run gets width by its duration, but at least an equal share: the short burst
        // at the end of a long job is usually what the reader came for.
        let durs: Vec<f64> = runs
            .iter()
            .map(|(a, b)| ((*b - *a).num_milliseconds() as f64).max(1.0))
            .collect();
        let total: f64 = durs.iter().sum();
        let floor = total / runs.len() as f64;
        let weights: Vec<f64> = durs.iter().map(|d| d.max(floor)).collect();
        let wsum: f64 = weights.iter().sum();
        let mut segs = Vec::new();
        let mut breaks = Vec::new();
        let mut x = x0;
        for (k, ((a, b), w)) in runs.iter().zip(&weights).enumerate() {
            let width = active * w / wsum;
            segs.push(Axis::padded(*a, *b, x, x + width));
            x += width;
            if let Some(next) = runs.get(k + 1) {
                breaks.push((*b, next.0, x, x + BREAK_W));
                x += BREAK_W;
            }
        }
        LaneAxis { segs, breaks }
    }

    fn x(&self, t: Timestamp) -> f64 {
        for (k, seg) in self.segs.iter().enumerate() {
            if t <= seg.end() || k == self.segs.len() - 1 {
                if t >= seg.t0 || k == 0 {
                    return seg.x(t);
                }
                // Inside the break before this segment.
                let (a, b, x0, x1) = self.breaks[k - 1];
                let f = (t - a).num_milliseconds() as f64
                    / ((b - a).num_milliseconds() as f64).max(1.0);
                return x0 + f.clamp(0.0, 1.0) * (x1 - x0);
            }
        }
        self.segs[0].x(t)
    }

    fn t0(&self) -> Timestamp {
        self.segs[0].t0
    }

    fn end(&self) -> Timestamp {
        self.segs[self.segs.len() - 1].end()
    }

    /// Ticks per segment, as many as its width holds; each break as a marked, shaded gap.
    fn ticks(&self, s: &mut String, y_top: f64, y_axis: f64) {
        for seg in &self.segs {
            let n = (((seg.x1 - seg.x0) / 200.0) as u32).max(1);
            seg.ticks(s, n, y_top, y_axis);
        }
        for (a, b, x0, x1) in &self.breaks {
            let _ = write!(
                s,
                r##"<g class="axis-break"><rect x="{:.1}" y="{y_top:.1}" width="{:.1}" height="{:.1}" fill="#eceff1"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="13" fill="#78909c" text-anchor="middle">//</text><text x="{:.1}" y="{:.1}" font-size="9" fill="#546e7a" text-anchor="middle">{}</text></g>"##,
                x0 + 4.0,
                x1 - x0 - 8.0,
                y_axis - y_top,
                esc(&format!(
                    "axis break: nothing of this job logged from {} to {}",
                    a.format("%H:%M:%S%.3f"),
                    b.format("%H:%M:%S%.3f")
                )),
                (x0 + x1) / 2.0,
                y_axis - 4.0,
                (x0 + x1) / 2.0,
                y_axis + 11.0,
                esc(&format!("{} quiet", dur(*a, *b)))
            );
        }
    }
}

/// `2s`, `3m10s`, `1h02m`.
fn dur(a: Timestamp, b: Timestamp) -> String {
    let ms = (b - a).num_milliseconds();
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        crate::fault::human_duration(ms / 1000)
    }
}

fn svg(report: &Report) -> String {
    let p = &report.picture;
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
    let end_of_logs = report
        .inputs
        .iter()
        .flat_map(|i| &i.files)
        .filter_map(|f| f.last_ts)
        .max();
    times.extend(end_of_logs);
    let (Some(&t0), Some(&t1)) = (times.iter().min(), times.iter().max()) else {
        return "<p>No timed events to draw.</p>".to_string();
    };
    let stalled: std::collections::HashSet<i64> = report
        .findings
        .iter()
        .filter(|f| f.rule == "DDL004")
        .filter_map(|f| f.job_id)
        .collect();
    let h = 24.0
        + OVERVIEW_H
        + GAP
        + p.jobs.len() as f64 * (JOB_H + GAP)
        + p.instances.len() as f64 * (INST_H + GAP)
        + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="timeline" viewBox="0 0 {W} {h}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="DDL job and instance timeline" font-family="system-ui,sans-serif">"#
    );

    // Overview: the whole bundle on one scale, each job as a bar, the cluster fault windows.
    let ov = Axis::padded(t0, t1, PAD, W - PAD);
    let mut y = 4.0;
    let _ = write!(
        s,
        r##"<g class="overview"><text x="{PAD}" y="{:.1}" font-size="12" font-weight="bold">{}</text>"##,
        y + 12.0,
        esc(&format!(
            "Overview: {} – {} ({}), every job on one scale; each lane below has its own",
            t0.format("%Y-%m-%d %H:%M:%S"),
            t1.format("%H:%M:%S"),
            dur(t0, t1)
        ))
    );
    y += 18.0;
    let (oy, oh) = (y, OVERVIEW_H - 22.0);
    let _ = write!(
        s,
        r##"<rect x="{PAD}" y="{oy:.1}" width="{:.1}" height="{oh:.1}" fill="#f5f7fa"/>"##,
        W - 2.0 * PAD
    );
    for w in report.cluster_windows() {
        let (x0, x1) = (ov.x(w.start), ov.x(w.end));
        let _ = write!(
            s,
            r##"<rect class="cluster-window" x="{x0:.1}" y="{oy:.1}" width="{:.1}" height="{oh:.1}" fill="#ffb74d" fill-opacity="0.45"><title>{}</title></rect>"##,
            (x1 - x0).max(3.0),
            esc(&format!(
                "fault window {} – {} on {}",
                w.start.format("%H:%M:%S"),
                w.end.format("%H:%M:%S"),
                w.instances.join(", ")
            ))
        );
    }
    let rows = p.jobs.len().clamp(1, 6);
    let row_h = (oh - 4.0) / rows as f64;
    for (k, j) in p.jobs.iter().enumerate() {
        let (x0, x1) = (ov.x(j.first), ov.x(j.last));
        let ry = oy + 2.0 + (k % rows) as f64 * row_h;
        let _ = write!(
            s,
            r##"<rect class="overview-job" data-job="{}" x="{x0:.1}" y="{ry:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"##,
            j.job_id,
            (x1 - x0).max(4.0),
            (row_h - 1.0).max(2.0),
            state_color(&j.outcome),
            esc(&format!(
                "{} · {} · {}",
                j.label,
                j.outcome,
                dur(j.first, j.last)
            ))
        );
        if rows == p.jobs.len() {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="9" fill="#333">{}</text>"##,
                x0.max(x1 - 0.0).min(W - PAD - 40.0) + 6.0,
                ry + row_h * 0.5 + 3.0,
                esc(&j.job_id.to_string())
            );
        }
    }
    y = oy + oh;
    ov.ticks(&mut s, 6, oy, y);
    s.push_str("</g>");
    y += 14.0 + GAP;

    for j in &p.jobs {
        job_lane(
            &mut s,
            j,
            y,
            end_of_logs,
            stalled.contains(&j.job_id),
            report,
        );
        y += JOB_H + GAP;
    }
    for i in &p.instances {
        instance_lane(&mut s, i, y, &ov);
        y += INST_H + GAP;
    }
    s.push_str("</svg>");
    s
}

/// One job on its own time scale: state bands, the ErrCount steps, error ticks, the rollback,
/// owner moves and restarts, the fault windows behind, and a broken-axis tail when the logs go
/// on long after its last line.
fn job_lane(
    s: &mut String,
    j: &crate::report::lanes::JobLane,
    y: f64,
    end_of_logs: Option<Timestamp>,
    stalled: bool,
    report: &Report,
) {
    let quiet = end_of_logs
        .filter(|e| j.unfinished && (*e - j.last).num_seconds() >= QUIET_SECS)
        .map(|e| (j.last, e));
    let right = if quiet.is_some() {
        PAD + (W - 2.0 * PAD) * (1.0 - QUIET_SHARE)
    } else {
        W - PAD
    };
    let ax = LaneAxis::new(j.first, j.last, &j.idle, PAD, right);
    let _ = write!(
        s,
        r##"<g class="job-lane" data-job="{id}"><rect x="0" y="{y:.1}" width="{W}" height="{JOB_H}" fill="#fafafa" stroke="#eceff1"/>"##,
        id = j.job_id
    );
    let head = if j.unfinished {
        format!("{} — {} at the end of the logs", j.label, j.outcome)
    } else {
        format!("{} — {}", j.label, j.outcome)
    };
    let _ = write!(
        s,
        r##"<text x="{PAD}" y="{:.1}" font-size="13" font-weight="bold">{}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#555" text-anchor="end">{}</text>"##,
        y + 15.0,
        esc(&head),
        W - PAD,
        y + 15.0,
        esc(&format!(
            "{} – {} ({}) · {}",
            j.first.format("%H:%M:%S%.3f"),
            j.last.format("%H:%M:%S%.3f"),
            dur(j.first, j.last),
            j.instances.join(", ")
        ))
    );
    let (top, axis_y) = (y + 22.0, y + JOB_H - 16.0);
    // Fault windows behind, on this job's scale.
    for w in report.cluster_windows() {
        if w.end < ax.t0() || w.start > ax.end() {
            continue;
        }
        let (x0, x1) = (ax.x(w.start), ax.x(w.end));
        let _ = write!(
            s,
            r##"<rect class="cluster-window" x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#ffb74d" fill-opacity="0.25"><title>{}</title></rect>"##,
            (x1 - x0).max(2.0),
            axis_y - top,
            esc(&format!(
                "fault window {} – {} on {}",
                w.start.format("%H:%M:%S"),
                w.end.format("%H:%M:%S"),
                w.instances.join(", ")
            ))
        );
    }
    ax.ticks(s, top, axis_y);
    // State bands: from each state line to the next, the last to the job's last line. Before
    // the first state line the state is unknown: an outline, not a colour.
    let (band_y, band_h) = (top + 16.0, 18.0);
    if let Some(first) = j.states.first() {
        if first.ts > j.first {
            let (x0, x1) = (ax.x(j.first), ax.x(first.ts));
            let _ = write!(
                s,
                r##"<rect class="state-unknown" x="{x0:.1}" y="{band_y:.1}" width="{:.1}" height="{band_h}" fill="none" stroke="#b0bec5" stroke-dasharray="3 2"><title>no state logged yet</title></rect>"##,
                (x1 - x0).max(1.0)
            );
        }
    }
    for (k, mark) in j.states.iter().enumerate() {
        let mut end = j.states.get(k + 1).map(|n| n.ts).unwrap_or(j.last);
        // A job string says `queueing` until the next string, but a job that logs errors is
        // being run: from its first error on, the band is "running", drawn paler and saying
        // why, instead of grey for a job that ran.
        if matches!(mark.state.as_str(), "queueing" | "none") {
            if let Some(e) = j.errors.iter().find(|e| e.ts > mark.ts && e.ts < end) {
                let (x0, x1) = (ax.x(e.ts), ax.x(end));
                let _ = write!(
                    s,
                    r##"<rect class="state inferred" data-state="running" x="{x0:.1}" y="{band_y:.1}" width="{:.1}" height="{band_h}" fill="{}" fill-opacity="0.55"><title>{}</title></rect>"##,
                    (x1 - x0).max(2.0),
                    state_color("running"),
                    esc(&format!(
                        "running (inferred): the job logged an error at {} while its last job string ({}:{}) said {}",
                        e.ts.format("%H:%M:%S%.3f"),
                        e.file,
                        e.line,
                        mark.state
                    ))
                );
                if x1 - x0 > 60.0 {
                    let _ = write!(
                        s,
                        r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#1b5e20">{}</text>"##,
                        x0 + 3.0,
                        band_y + 13.0,
                        esc(&truncate(
                            "running (errors logged; no new job string)",
                            ((x1 - x0) / 6.0) as usize
                        ))
                    );
                }
                end = e.ts;
            }
        }
        let (x0, x1) = (ax.x(mark.ts), ax.x(end));
        let _ = write!(
            s,
            r##"<rect class="state" data-state="{st}" x="{x0:.1}" y="{band_y:.1}" width="{:.1}" height="{band_h}" fill="{}"><title>{}</title></rect>"##,
            (x1 - x0).max(2.0),
            state_color(&mark.state),
            esc(&format!(
                "{} / {} from {} ({}:{})",
                mark.state,
                mark.schema_state,
                mark.ts.format("%H:%M:%S%.3f"),
                mark.file,
                mark.line
            )),
            st = esc(&mark.state)
        );
        if x1 - x0 > 60.0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#fff">{}</text>"##,
                x0 + 3.0,
                band_y + 13.0,
                esc(&truncate(
                    &format!("{} / {}", mark.state, mark.schema_state),
                    ((x1 - x0) / 6.0) as usize
                ))
            );
        }
    }
    // ErrCount: a step line through every point the timeline holds (ErrCount holds its value
    // until the next line says otherwise), scaled from its lowest to its highest value.
    let (cy_top, cy_bot) = (band_y + band_h + 10.0, axis_y - 8.0);
    if j.err_counts.iter().any(|p| p.1 > 0) {
        let lo = if j.err_counts.len() > 1 {
            j.err_counts.iter().map(|p| p.1).min().unwrap_or(0)
        } else {
            0
        };
        let hi = j
            .err_counts
            .iter()
            .map(|p| p.1)
            .max()
            .unwrap_or(0)
            .max(lo + 1);
        let yv = |n: u64| cy_bot - (cy_bot - cy_top) * ((n - lo) as f64 / (hi - lo) as f64);
        let mut pts = Vec::new();
        for (k, (t, n)) in j.err_counts.iter().enumerate() {
            let x = ax.x(*t);
            if k > 0 {
                pts.push(format!("{x:.1},{:.1}", yv(j.err_counts[k - 1].1)));
            }
            pts.push(format!("{x:.1},{:.1}", yv(*n)));
        }
        let stop = j.rollback.as_ref().map(|r| r.ts).unwrap_or(j.last);
        if let Some((t, n)) = j.err_counts.last() {
            if stop > *t {
                pts.push(format!("{:.1},{:.1}", ax.x(stop), yv(*n)));
            }
        }
        let _ = write!(
            s,
            r##"<polyline class="errcount" points="{}" fill="none" stroke="#6a1b9a" stroke-width="2"><title>ErrCount, {} points ({lo} – {hi})</title></polyline>"##,
            pts.join(" "),
            j.err_counts.len()
        );
        for (t, n) in &j.err_counts {
            let _ = write!(
                s,
                r##"<circle class="errcount-point" cx="{:.1}" cy="{:.1}" r="2.5" fill="#6a1b9a"><title>ErrCount {n} at {}</title></circle>"##,
                ax.x(*t),
                yv(*n),
                t.format("%H:%M:%S%.3f")
            );
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#6a1b9a">ErrCount {hi}</text><text x="{:.1}" y="{:.1}" font-size="10" fill="#6a1b9a">{lo}</text>"##,
            PAD + 2.0,
            cy_top + 8.0,
            PAD + 2.0,
            cy_bot
        );
    }
    for e in &j.errors {
        let x = ax.x(e.ts);
        let _ = write!(
            s,
            r##"<line class="error-tick" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#c62828" stroke-width="1"><title>{}</title></line>"##,
            axis_y - 6.0,
            esc(&format!(
                "{} {}: {}",
                e.ts.format("%H:%M:%S%.3f"),
                e.instance,
                e.error.as_deref().unwrap_or("")
            ))
        );
    }
    // Owner moves and restarts: dashed lines across the lane, labelled at the top.
    for (k, c) in j.changes.iter().enumerate() {
        let x = ax.x(c.ts);
        let color = if c.restart { "#7b1fa2" } else { "#1565c0" };
        let class = if c.restart { "restart" } else { "owner-move" };
        let _ = write!(
            s,
            r##"<g class="{class}"><line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="{color}" stroke-width="2" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" font-size="10" fill="{color}">{}</text></g>"##,
            (x + 3.0).min(W - PAD - 150.0),
            top + 10.0 + (k % 2) as f64 * 0.0,
            esc(&format!("{} {}", c.label, c.ts.format("%H:%M:%S%.3f")))
        );
    }
    if let Some(r) = &j.rollback {
        let x = ax.x(r.ts);
        let _ = write!(
            s,
            r##"<g class="rollback"><line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#d50000" stroke-width="3"/><polygon points="{:.1},{top:.1} {:.1},{top:.1} {x:.1},{:.1}" fill="#d50000"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#d50000" text-anchor="end">{}</text></g>"##,
            x - 7.0,
            x + 7.0,
            top + 10.0,
            x - 9.0,
            top + 11.0,
            esc(&format!(
                "rollback {}{}",
                r.ts.format("%H:%M:%S%.3f"),
                r.err_count
                    .map(|n| format!(" at ErrCount {n}"))
                    .unwrap_or_default()
            ))
        );
    }
    // The stall: the job's last progress, and the quiet rest of the logs on a broken axis.
    if let (Some(p), true) = (j.last_progress, j.unfinished) {
        if let Some((from, to)) = quiet {
            let (bx0, bx1) = (right + 6.0, W - PAD);
            let _ = write!(
                s,
                r##"<g class="quiet"><text x="{:.1}" y="{:.1}" font-size="14" fill="#777" text-anchor="middle">//</text><rect x="{bx0:.1}" y="{band_y:.1}" width="{:.1}" height="{band_h}" fill="#eeeeee" stroke="#9e9e9e" stroke-dasharray="2 2"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" fill="#555" text-anchor="middle">{}</text><text x="{bx1:.1}" y="{:.1}" font-size="10" fill="#666" text-anchor="end">{}</text></g>"##,
                right + 3.0,
                band_y + 14.0,
                bx1 - bx0,
                esc(&format!(
                    "no line of this job from {} to the end of the logs at {}",
                    from.format("%H:%M:%S"),
                    to.format("%H:%M:%S")
                )),
                (bx0 + bx1) / 2.0,
                band_y + band_h + 14.0,
                esc(&format!("{} without a line", dur(from, to))),
                axis_y + 11.0,
                esc(&format!("logs end {}", to.format("%H:%M:%S")))
            );
        }
        if stalled || quiet.is_some() {
            let x = ax.x(p);
            let word = if stalled {
                "stalled since"
            } else {
                "last progress"
            };
            let _ = write!(
                s,
                r##"<g class="stall"><polygon points="{x:.1},{:.1} {:.1},{:.1} {x:.1},{:.1} {:.1},{:.1}" fill="#b71c1c"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#b71c1c" text-anchor="end">{}</text></g>"##,
                band_y - 6.0,
                x + 6.0,
                band_y + band_h / 2.0,
                band_y + band_h + 6.0,
                x - 6.0,
                band_y + band_h / 2.0,
                x - 8.0,
                cy_top + 10.0,
                esc(&format!("{word} {}", p.format("%H:%M:%S%.3f")))
            );
        }
    }
    s.push_str("</g>");
}

/// One instance on the overview's scale: error and fault-signal lines per 10 s, its windows.
fn instance_lane(s: &mut String, i: &crate::report::lanes::InstanceLane, y: f64, ax: &Axis) {
    let _ = write!(
        s,
        r##"<g class="instance-lane" data-instance="{}"><rect x="0" y="{y:.1}" width="{W}" height="{INST_H}" fill="#f5f7fa" stroke="#eceff1"/><text x="{PAD}" y="{:.1}" font-size="12" font-weight="bold">{}</text><text x="{:.1}" y="{:.1}" font-size="10" fill="#666" text-anchor="end">error and fault-signal lines per 10 s, on the overview's scale</text>"##,
        esc(&i.name),
        y + 13.0,
        esc(&truncate(&i.name, 60)),
        W - PAD,
        y + 13.0
    );
    let (top, bot) = (y + 18.0, y + INST_H - 4.0);
    for (a, b, kinds) in &i.windows {
        let (x0, x1) = (ax.x(*a), ax.x(*b));
        let _ = write!(
            s,
            r##"<rect class="fault-window" x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#ffb74d" fill-opacity="0.45" stroke="#ef6c00"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" fill="#e65100">{}</text>"##,
            (x1 - x0).max(3.0),
            bot - top,
            esc(&format!(
                "fault window {} – {}: {kinds}",
                a.format("%H:%M:%S"),
                b.format("%H:%M:%S")
            )),
            (x0 + 2.0).min(W - PAD - 110.0),
            top + 10.0,
            esc(&format!(
                "fault {}–{}",
                a.format("%H:%M:%S"),
                b.format("%H:%M:%S")
            ))
        );
    }
    let max = i.density.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let bucket = chrono::Duration::seconds(crate::fault::BUCKET_SECS);
    for (t, n) in &i.density {
        let bh = (bot - top - 12.0) * (*n as f64 / max);
        let x = ax.x(*t);
        let bw = (ax.x(*t + bucket) - x).max(1.5);
        let _ = write!(
            s,
            r##"<rect class="density" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="#37474f"><title>{}</title></rect>"##,
            bot - bh,
            esc(&format!(
                "{n} error/fault lines from {}",
                t.format("%H:%M:%S")
            ))
        );
    }
    s.push_str("</g>");
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
h1{font-size:18px;margin:0 0 8px}.wrap{display:block}\
.pic{width:100%;margin:0 0 12px}.pic svg{display:block;width:100%;height:auto}.findings{max-width:1100px}\
code{font-family:ui-monospace,monospace;background:#eef;padding:0 2px}\
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
        ("paused", "#8d6e63"),
        ("ErrCount (steps, a dot per logged value)", "#6a1b9a"),
        ("rollback", "#d50000"),
        ("owner move (dashed)", "#1565c0"),
        ("restart (dashed)", "#7b1fa2"),
        ("stall / last progress", "#b71c1c"),
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
        Some(_) => h.push_str(&svg(report)),
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
            prose(&f.title),
            prose(&f.explanation)
        );
        if let Some(fc) = &f.fault_overlap {
            let _ = write!(h, "<p class=\"fault\">Fault: {}</p>", prose(&fc.note));
        }
        if !f.suggestion.is_empty() {
            let _ = write!(h, "<p>→ {}</p>", prose(&f.suggestion));
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

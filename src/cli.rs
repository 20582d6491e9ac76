//! Command line (DESIGN.md §2, shipped as docs/contract.md) and exit codes (§3).
//!
//! Results go to stdout (or `-o FILE`); notes, errors and the closing summary line go to
//! stderr. Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage error, nothing
//! readable or nothing judged ([`gate`]), 3 damaged input.

mod formats;
mod gate;
mod lnav;
mod time;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::analyze::{self, Analysis, Panicked};
use crate::diagnosis::Settings;
use crate::model::{Bound, ExitCode, FailOn, TimeWindow};
use crate::render::{self, Format, RenderOptions, TableOptions};
use crate::report;
use crate::rules;
use crate::scan::ScanOptions;
use crate::source::{Input, SourceOptions};

/// Most worker threads `--threads` accepts: more only costs stacks and contention on a machine
/// this tool runs on, and an unchecked count made thread spawning abort the process.
const MAX_THREADS: i64 = analyze::MAX_THREADS as i64;
/// Longest `--max-line-bytes`: each worker may hold a line this long.
const MAX_LINE_BYTES: u64 = 1 << 30;
/// Longest `--stall-minutes`, a year: beyond it the duration arithmetic would overflow, and no
/// log bundle spans more.
const MAX_STALL_MINUTES: i64 = 366 * 24 * 60;

/// The exit codes (DESIGN.md §3), in `ddldiag --help` and the man page.
const EXIT_CODES: &str = "Exit codes (the CI gate):
  0    read and judged: no finding at or above --fail-on
  1    a finding at or above --fail-on
  2    usage error, nothing readable, or nothing judged
       (no TiDB log, --job not in the logs, an empty window)
  3    an input damaged or unrecognised: a partial report
  101  internal error (a bug): no report";

#[derive(Debug, Parser)]
#[command(
    name = "ddldiag",
    version,
    about = "Explains why a TiDB DDL job failed or hung, from the TiDB logs",
    long_about = None,
    after_long_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Diagnose the DDL jobs in the logs: jobs, findings with evidence, an exit code for CI.
    #[command(mut_arg("format", |a| a.value_parser(formats::parser(None))))]
    Analyze(AnalyzeArgs),
    /// One row per DDL job found.
    #[command(mut_arg("format", |a| a.value_parser(formats::parser(Some(formats::VIEW)))))]
    Jobs(CommonArgs),
    /// One job's events in time order, all instances merged.
    #[command(mut_arg("format", |a| a.value_parser(formats::parser(Some(formats::VIEW)))))]
    Timeline {
        /// The DDL job id.
        #[arg(long)]
        job: i64,
        #[command(flatten)]
        grep: GrepArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Export every DDL event: `--format jsonl` (default, one JSON object per line, for jq) or
    /// `--format trace` (Chrome Trace Event JSON for Perfetto).
    #[command(mut_arg("format", |a| a.value_parser(formats::parser(Some(formats::EVENTS)))))]
    Events {
        #[command(flatten)]
        grep: GrepArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// List the rule catalogue.
    Rules,
    /// What a rule means, why it matters and what to do (by code `DDL001` or name).
    Explain { rule: String },
    /// Print the JSON Schema of the report.
    Schema,
    /// Compare two runs of the same test (`GOOD... -- BAD...`): what got worse in BAD.
    ///
    /// Jobs are matched by type, table and query, not by id (ids differ between runs); lists
    /// outcome changes, and findings and error kinds new in BAD. Exit 0: BAD is not worse; 1: a
    /// new finding at or above `--fail-on`, or a job regression; 2: usage error or a side
    /// unreadable; 3: a side damaged.
    #[command(mut_arg("format", |a| a.value_parser(formats::parser(Some(formats::VIEW)))))]
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    ///
    /// bash: `ddldiag completions bash > ~/.local/share/bash-completion/completions/ddldiag`;
    /// zsh: into a directory on `$fpath` as `_ddldiag`; fish:
    /// `~/.config/fish/completions/ddldiag.fish`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: `ddldiag man | man -l -`, or
    /// `ddldiag man > ~/.local/share/man/man1/ddldiag.1`.
    Man {
        /// The page of one subcommand (`ddldiag-analyze(1)`) instead of the main page.
        command: Option<String>,
    },
    /// Print an lnav log format for TiDB's unified log (levels, times, source, the DDL job id
    /// as operation id): `ddldiag lnav-format > tidb.json && lnav -i tidb.json`.
    LnavFormat,
}

/// `--grep`: which events `timeline` and `events` show.
#[derive(Debug, Args)]
struct GrepArgs {
    /// Only events whose log line contains TEXT (literally, case-sensitive; see --regex).
    #[arg(long, value_name = "TEXT")]
    grep: Option<String>,
    /// Read --grep TEXT as a regular expression (Rust regex syntax).
    #[arg(long, requires = "grep")]
    regex: bool,
}

impl GrepArgs {
    /// The matcher, or `None` without `--grep`.
    fn matcher(&self) -> Result<Option<regex::Regex>, CliError> {
        let Some(text) = &self.grep else {
            return Ok(None);
        };
        let pattern = if self.regex {
            text.clone()
        } else {
            regex::escape(text)
        };
        regex::Regex::new(&pattern).map(Some).map_err(|e| {
            CliError::Usage(format!("--grep {text:?} is not a regular expression: {e}"))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Log bundles: .tar.gz/.tgz, .tar, .gz, .zip, log files, directories, or - for stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format; without it, what `-o FILE`'s extension names (.json, .md, .html,
    /// .sarif, .xml for JUnit, .jsonl), else the command's default.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only lines at or after this time: RFC 3339, a time without offset (the logs' own),
    /// a date (its start), or a duration before the logs' end (-1h, 30m).
    #[arg(long, value_name = "TIME", value_parser = time::parse_since, allow_hyphen_values = true)]
    since: Option<Bound>,
    /// Only lines at or before this time (same forms; a date means its end).
    #[arg(long, value_name = "TIME", value_parser = time::parse_until, allow_hyphen_values = true)]
    until: Option<Bound>,
    /// Read only the files of this instance (as the report names it: tidb-0, host:4000);
    /// repeat for several.
    #[arg(long, value_name = "NAME")]
    instance: Vec<String>,
    /// Name every file's instance NAME instead of deriving it from paths (one instance's
    /// logs under unhelpful names).
    #[arg(long, value_name = "NAME")]
    name_instance: Option<String>,
    /// Colour: auto (a terminal; honours NO_COLOR, CLICOLOR=0, CLICOLOR_FORCE, TERM=dumb),
    /// always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// No notes and no summary line on stderr (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
    /// Tables: every evidence line in full, and (analyze) one row per file read.
    #[arg(short, long)]
    verbose: bool,
    /// Worker threads, 1 to 256 (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    threads: Option<u16>,
    /// Longest line kept, in bytes (1 to 1 GiB); longer lines are cut and counted.
    #[arg(long, default_value_t = crate::scan::DEFAULT_MAX_LINE as u64,
          value_parser = clap::value_parser!(u64).range(1..=MAX_LINE_BYTES))]
    max_line_bytes: u64,
    /// Parse every line in full instead of prefiltering (slower; same report).
    #[arg(long, hide = true)]
    full_parse: bool,
    /// Stop reading an input once N bytes came out of its decompressors (gzip, zip), against
    /// compression bombs, or once N raw bytes were read from it (an endless stream such as
    /// /dev/zero); the input is then reported as damaged (exit 3).
    #[arg(long, value_name = "N", default_value_t = crate::source::DEFAULT_MAX_DECOMPRESSED_BYTES)]
    max_decompressed_bytes: u64,
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Report only this job.
    #[arg(long)]
    job: Option<i64>,
    #[command(flatten)]
    rules: RuleArgs,
}

/// What the rules need to know that the logs may not say.
#[derive(Debug, Args)]
struct RuleArgs {
    /// TiDB's tidb_ddl_error_count_limit.
    #[arg(long, default_value_t = 512)]
    error_count_limit: u64,
    /// A running job without progress for this many minutes is stalled (DDL004); 0 to a year.
    #[arg(long, default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(0..=MAX_STALL_MINUTES))]
    stall_minutes: i64,
    /// TiDB version, when the logs hold no `Welcome to TiDB` line (e.g. v7.6.0).
    #[arg(long)]
    tidb_version: Option<String>,
}

impl RuleArgs {
    /// Diagnoses `analysis` (only job `job`, when given), runs every rule and builds the report
    /// once, its exit code decided by `fail_on`.
    fn diagnose(
        &self,
        analysis: Analysis,
        job: Option<i64>,
        fail_on: FailOn,
        drawing: report::Drawing,
    ) -> report::Report {
        // The logs' own version wins over --tidb-version (which is for logs without one).
        let settings = Settings {
            error_count_limit: self.error_count_limit.max(1),
            stall_after: chrono::Duration::minutes(self.stall_minutes),
            tidb_version: self.tidb_version.clone(),
        };
        let mut analysis = analysis;
        if let Some(id) = job {
            analysis.timelines.jobs.retain(|j| j.job_id == id);
            Arc::make_mut(&mut analysis.events).retain(|e| e.job_id == Some(id));
        }
        report::judge_drawing(analysis, settings, fail_on, drawing)
    }
}

/// `ddldiag diff`. GOOD inputs are [`CommonArgs::inputs`], so every reading option (and any
/// added later) applies to both sides alike; BAD inputs come after `--`.
#[derive(Debug, Args)]
#[command(mut_arg("inputs", |a| a
    .index(1)
    .value_name("GOOD")
    .help("The run that passed: log bundles, files, directories or - (as for analyze)")))]
struct DiffArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The run that failed, after `--`.
    #[arg(index = 2, last = true, required = true, value_name = "BAD")]
    bad: Vec<String>,
    /// Exit 1 when a finding new in BAD is at or above this severity (a job regression also
    /// exits 1 unless `never`).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    #[command(flatten)]
    rules: RuleArgs,
}

/// Why a command could not do its job. Each kind has its exit code ([`CliError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line asks for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Inputs that are no log input: missing or unreadable paths, directories without a log
    /// file (exit 2, no report). One line per input, each naming its path.
    #[error("{}", .0.join("\nddldiag: "))]
    Inputs(Vec<String>),
    /// The report could not be written (exit 2: nothing usable was produced).
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    /// A bug: a thread panicked (exit 101).
    #[error(transparent)]
    Internal(#[from] Panicked),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) | CliError::Inputs(_) | CliError::Write { .. } => ExitCode::Usage,
            CliError::Internal(_) => ExitCode::Internal,
        }
    }
}

impl From<String> for CliError {
    fn from(msg: String) -> Self {
        CliError::Usage(msg)
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Clean
            };
            return code.into();
        }
    };
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            note(&format!("ddldiag: {e}"));
            e.exit_code().into()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Analyze(a) => analyze_cmd(a),
        Command::Jobs(c) => jobs_cmd(c),
        Command::Events { grep, common } => events_cmd(common, &grep),
        Command::Timeline { job, grep, common } => timeline_cmd(job, &grep, common),
        Command::Rules => {
            let mut out = String::new();
            for r in rules::all() {
                let m = r.meta();
                out.push_str(&format!(
                    "{}  {:<38} {:<8} {}\n",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    m.summary
                ));
            }
            write_out(None, &out)?;
            Ok(ExitCode::Clean)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => {
                let m = r.meta();
                let text = format!(
                    "{} {} (default severity: {})\n\n{}\n",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    m.explain.trim()
                );
                write_out(None, &text)?;
                Ok(ExitCode::Clean)
            }
            None => Err(CliError::Usage(format!(
                "no rule named {rule:?}; `ddldiag rules` lists them"
            ))),
        },
        Command::Schema => {
            write_out(None, &render::schema::json_schema())?;
            Ok(ExitCode::Clean)
        }
        Command::Diff(d) => diff_cmd(d),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            write_with(None, |w| {
                clap_complete::generate(shell, &mut cmd, "ddldiag", w);
                Ok(())
            })?;
            Ok(ExitCode::Clean)
        }
        Command::Man { command } => man_cmd(command.as_deref()),
        Command::LnavFormat => {
            write_out(None, &lnav::format_json())?;
            Ok(ExitCode::Clean)
        }
    }
}

/// `ddldiag man [COMMAND]`: the roff page of the tool or of one subcommand (named
/// `ddldiag-<command>`, as git and cargo name theirs).
fn man_cmd(command: Option<&str>) -> Result<ExitCode, CliError> {
    let mut root = Cli::command();
    root.build();
    let page = match command {
        None => root,
        Some(name) => {
            let Some(sub) = root.find_subcommand(name).cloned() else {
                let names: Vec<String> = root
                    .get_subcommands()
                    .map(|s| s.get_name().to_string())
                    .collect();
                return Err(CliError::Usage(format!(
                    "no command {name:?}; commands: {}",
                    names.join(", ")
                )));
            };
            let full = format!("ddldiag-{}", sub.get_name());
            sub.name(full.clone())
                .bin_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut bytes)
        .map_err(|e| CliError::Usage(format!("cannot render the man page: {e}")))?;
    write_with(None, |w| w.write_all(&bytes))?;
    Ok(ExitCode::Clean)
}

/// The `--since`/`--until` window, refused when it is empty whatever the logs hold.
fn window_of(c: &CommonArgs) -> Result<TimeWindow, CliError> {
    let w = TimeWindow {
        since: c.since,
        until: c.until,
    };
    if w.reversed() {
        return Err(CliError::Usage(
            "--since is later than --until: the window holds nothing".to_string(),
        ));
    }
    Ok(w)
}

fn read_inputs(c: &CommonArgs) -> Result<Analysis, CliError> {
    read_inputs_collecting(c, false)
}

/// [`read_inputs`], optionally keeping every DDL event for the exports. Ends with the checks
/// of [`gate::check`]: inputs on which nothing can be judged are a usage error (exit 2).
fn read_inputs_collecting(c: &CommonArgs, collect_events: bool) -> Result<Analysis, CliError> {
    let window = window_of(c)?;
    check_output_is_not_an_input(c.output.as_ref(), &c.inputs.iter().collect::<Vec<_>>())?;
    let inputs: Vec<Input> = c
        .inputs
        .iter()
        .map(|s| {
            if s == "-" {
                Input::Stdin
            } else {
                Input::Path(PathBuf::from(s))
            }
        })
        .collect();
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(CliError::Usage(
            "stdin (-) can be given only once".to_string(),
        ));
    }
    // A path that cannot be read is a mistake in the command: say so before reading anything.
    let problems: Vec<String> = inputs
        .iter()
        .filter_map(|i| crate::source::check(i).err())
        .collect();
    if !problems.is_empty() {
        return Err(CliError::Inputs(problems));
    }
    let progress = Arc::new(AtomicU64::new(0));
    let opts = analyze::Options {
        progress: Some(progress.clone()),
        source: SourceOptions {
            instance_override: c.name_instance.clone(),
            only_instances: c.instance.clone(),
            max_decompressed_bytes: Some(c.max_decompressed_bytes),
            ..SourceOptions::default()
        },
        scan: ScanOptions {
            // Within 1..=MAX_LINE_BYTES (clap checked), so it fits a usize.
            max_line: usize::try_from(c.max_line_bytes).unwrap_or(usize::MAX),
            full_parse: c.full_parse,
        },
        threads: c.threads.map_or(0, usize::from),
        window,
        collect_events,
        segments: analyze::Segmenting::default(),
    };
    let analysis = with_progress(!c.quiet, &progress, || analyze::run(&inputs, &opts))?;
    // A directory without a log file in it, or a path that vanished while we read.
    let problems = analysis.usage_problems();
    if !problems.is_empty() {
        return Err(CliError::Inputs(
            problems.into_iter().map(str::to_string).collect(),
        ));
    }
    gate::check(&analysis, &window, &c.instance).map_err(CliError::Usage)?;
    if !c.quiet {
        for o in &analysis.outcomes {
            for e in o.errors.iter().chain(&o.unrecognised) {
                note(&format!("ddldiag: warning: {e}"));
            }
        }
    }
    Ok(analysis)
}

/// Runs `f` while a spinner on stderr shows how much has been read. indicatif draws nothing
/// when stderr is not a terminal, so pipes and CI logs stay clean; short runs finish before
/// the first tick.
fn with_progress<T>(show: bool, bytes: &Arc<AtomicU64>, f: impl FnOnce() -> T) -> T {
    if !show || !std::io::stderr().is_terminal() {
        return f();
    }
    let done = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (done, bytes) = (done.clone(), bytes.clone());
        std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new_spinner();
            let mut waited = 0;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(100));
                waited += 1;
                if waited >= 5 {
                    let n = bytes.load(Ordering::Relaxed);
                    bar.set_message(format!("reading logs: {} MiB", n >> 20));
                    bar.tick();
                }
            }
            bar.finish_and_clear();
        })
    };
    let out = f();
    done.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    out
}

/// Whether to colour: `--color always|never`, or for `auto` anstream's reading of the
/// conventions (NO_COLOR, CLICOLOR=0, CLICOLOR_FORCE, TERM=dumb, a terminal) for the stream
/// the document goes to. A file is no terminal, so only CLICOLOR_FORCE colours one.
fn color_enabled(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let chosen = if to_file {
                anstream::AutoStream::choice(&Vec::<u8>::new())
            } else {
                anstream::AutoStream::choice(&std::io::stdout())
            };
            chosen != anstream::ColorChoice::Never
        }
    }
}

fn render_options(c: &CommonArgs, fail_on: FailOn) -> RenderOptions {
    RenderOptions {
        table: TableOptions {
            color: color_enabled(c.color, c.output.is_some()),
            // On a terminal, fit evidence lines to its width (the whole line stays in -v).
            width: (c.output.is_none() && std::io::stdout().is_terminal())
                .then(|| comfy_table::Table::new().width())
                .flatten(),
            verbose: c.verbose,
        },
        fail_on,
    }
}

/// The closing line on stderr (unless `-q`). Left out only where it would repeat the last
/// line of the table just printed on the same terminal.
fn finish(c: &CommonArgs, format: Format, line: impl FnOnce() -> String) {
    let repeated = c.output.is_none()
        && format == Format::Table
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal();
    if !c.quiet && !repeated {
        note(&line());
    }
}

/// Keeps the events whose raw log line `grep` matches.
fn grep_events(events: &mut Arc<Vec<crate::event::Exported>>, grep: &regex::Regex) {
    Arc::make_mut(events).retain(|e| grep.is_match(&e.evidence.text));
}

/// `ddldiag events`: the exports. Exit code as for `jobs` (damage 3, nothing readable 2).
fn events_cmd(c: CommonArgs, grep: &GrepArgs) -> Result<ExitCode, CliError> {
    let format = formats::choose(
        "events",
        c.format,
        c.output.as_ref(),
        Some(formats::EVENTS),
        Format::Jsonl,
    )?;
    let matcher = grep.matcher()?;
    let mut analysis = read_inputs_collecting(&c, format == Format::Jsonl)?;
    if let Some(m) = &matcher {
        grep_events(&mut analysis.events, m);
    }
    let mut report = jobs_report(&analysis);
    drop(analysis.timelines);
    if let Some(m) = &matcher {
        // The trace is drawn from the jobs' events.
        for j in &mut report.jobs {
            j.events.retain(|e| m.is_match(&e.evidence.text));
        }
    }
    write_with(c.output.as_ref(), |w| {
        render::render(&report, format, &render_options(&c, FailOn::Error), w)
    })?;
    let code = read_exit_code_of(&report);
    finish(&c, format, || {
        let n = match format {
            Format::Jsonl => report.events.len(),
            _ => report.jobs.iter().map(|j| j.events.len()).sum(),
        };
        gate::summary(
            &report,
            &counted_events(n, matcher.is_some()),
            false,
            code,
            c.output.as_deref(),
            &formats::name(format),
        )
    });
    Ok(code)
}

/// `3 events`, `1 event matching --grep`: the summary line's count of what was shown.
fn counted_events(n: usize, grep: bool) -> String {
    format!(
        "{n} event{}{}",
        if n == 1 { "" } else { "s" },
        if grep { " matching --grep" } else { "" }
    )
}

/// [`read_exit_code`] from the report alone (once the analysis is gone).
fn read_exit_code_of(r: &report::Report) -> ExitCode {
    if report::nothing_read(r) {
        ExitCode::Usage
    } else if report::is_incomplete(r) {
        ExitCode::Damaged
    } else {
        ExitCode::Clean
    }
}

/// Exit code for commands without findings: damage → 3, nothing readable → 2, else 0.
fn read_exit_code(a: &Analysis) -> ExitCode {
    if a.nothing_readable() {
        ExitCode::Usage
    } else if !a.complete() {
        ExitCode::Damaged
    } else {
        ExitCode::Clean
    }
}

fn analyze_cmd(a: AnalyzeArgs) -> Result<ExitCode, CliError> {
    let format = formats::choose(
        "analyze",
        a.common.format,
        a.common.output.as_ref(),
        None,
        Format::Table,
    )?;
    let analysis = read_inputs_collecting(&a.common, format == Format::Jsonl)?;
    if let Some(id) = a.job {
        gate::check_job(&analysis, id, &window_of(&a.common)?).map_err(CliError::Usage)?;
    }
    // Only these draw the picture (`Report::picture`); the others are spared its memory.
    let drawing = match format {
        Format::Table | Format::Html | Format::Trace => report::Drawing::Picture,
        _ => report::Drawing::NoPicture,
    };
    let report = a.rules.diagnose(analysis, a.job, a.fail_on, drawing);
    let opts = render_options(&a.common, a.fail_on);
    let colour = opts.table.color;
    write_with(a.common.output.as_ref(), |w| match format {
        Format::Table => {
            let text = render::to_string(&report, format, &opts);
            w.write_all(terminal_doc(&text, colour).as_bytes())
        }
        // Streamed: `jsonl` is one line per event, never held whole.
        _ => render::render(&report, format, &opts, w),
    })?;
    if format == Format::Github {
        if let Some(p) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            render::github::append_step_summary(&report, &p).map_err(|source| CliError::Write {
                path: p.display().to_string(),
                source,
            })?;
        }
    }
    let code = report::exit_code(&report, a.fail_on);
    finish(&a.common, format, || {
        gate::summary(
            &report,
            &gate::jobs(report.jobs.len()),
            true,
            code,
            a.common.output.as_deref(),
            &formats::name(format),
        )
    });
    Ok(code)
}

/// The report without rule findings: what `jobs`, `timeline` and `events` show.
fn jobs_report(analysis: &Analysis) -> report::Report {
    let version = analysis
        .timelines
        .cluster
        .tidb_version()
        .map(str::to_string);
    report::build(analysis, Vec::new(), version, FailOn::Error)
}

fn jobs_cmd(c: CommonArgs) -> Result<ExitCode, CliError> {
    let format = formats::choose(
        "jobs",
        c.format,
        c.output.as_ref(),
        Some(formats::VIEW),
        Format::Table,
    )?;
    let analysis = read_inputs(&c)?;
    let report = jobs_report(&analysis);
    let opts = render_options(&c, FailOn::Error);
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&report.jobs).map_err(|e| e.to_string())? + "\n"
        }
        _ => terminal_doc(
            &render::table::render_jobs(&report, &opts.table),
            opts.table.color,
        ),
    };
    write_out(c.output.as_ref(), &text)?;
    let code = read_exit_code(&analysis);
    finish(&c, format, || {
        gate::summary(
            &report,
            &gate::jobs(report.jobs.len()),
            false,
            code,
            c.output.as_deref(),
            &formats::name(format),
        )
    });
    Ok(code)
}

fn timeline_cmd(job: i64, grep: &GrepArgs, c: CommonArgs) -> Result<ExitCode, CliError> {
    let format = formats::choose(
        "timeline",
        c.format,
        c.output.as_ref(),
        Some(formats::VIEW),
        Format::Table,
    )?;
    let matcher = grep.matcher()?;
    let analysis = read_inputs(&c)?;
    gate::check_job(&analysis, job, &window_of(&c)?).map_err(CliError::Usage)?;
    let mut report = jobs_report(&analysis);
    report.jobs.retain(|j| j.job_id == job);
    if let Some(m) = &matcher {
        for j in &mut report.jobs {
            j.events.retain(|e| m.is_match(&e.evidence.text));
        }
    }
    let jobs: Vec<&report::JobReport> = report.jobs.iter().collect();
    let opts = render_options(&c, FailOn::Error);
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&jobs).map_err(|e| e.to_string())? + "\n",
        _ => terminal_doc(
            &jobs
                .iter()
                .map(|j| render::table::render_timeline(j, &opts.table))
                .collect::<Vec<_>>()
                .join("\n"),
            opts.table.color,
        ),
    };
    write_out(c.output.as_ref(), &text)?;
    // A damaged read may have lost the job: the report is still written, exit 3.
    let code = read_exit_code(&analysis);
    finish(&c, format, || {
        let n: usize = report.jobs.iter().map(|j| j.events.len()).sum();
        gate::summary(
            &report,
            &format!("job {job}, {}", counted_events(n, matcher.is_some())),
            false,
            code,
            c.output.as_deref(),
            &formats::name(format),
        )
    });
    Ok(code)
}

/// `ddldiag diff`: each side is analysed like `analyze` (same rules and context), then the two
/// reports are compared ([`report::diff`]). Exit codes: [`crate::diff::exit_code`].
fn diff_cmd(mut d: DiffArgs) -> Result<ExitCode, CliError> {
    let format = formats::choose(
        "diff",
        d.common.format,
        d.common.output.as_ref(),
        Some(formats::VIEW),
        Format::Table,
    )?;
    let all: Vec<&String> = d.common.inputs.iter().chain(&d.bad).collect();
    check_output_is_not_an_input(d.common.output.as_ref(), &all)?;
    let stdin_uses = d
        .common
        .inputs
        .iter()
        .chain(&d.bad)
        .filter(|s| *s == "-")
        .count();
    if stdin_uses > 1 {
        return Err(CliError::Usage(
            "stdin (-) can be given only once, on one side".to_string(),
        ));
    }
    let good = diff_side(&d.common, &d)?;
    // Same options for BAD: only the inputs change.
    d.common.inputs = std::mem::take(&mut d.bad);
    let bad = diff_side(&d.common, &d)?;
    let diff = crate::diff::compare(&good, &bad, d.fail_on);
    let text = match format {
        Format::Json => crate::diff::render_json(&diff),
        _ => {
            let colour = color_enabled(d.common.color, d.common.output.is_some());
            terminal_doc(&crate::diff::render_table(&diff, colour), colour)
        }
    };
    write_out(d.common.output.as_ref(), &text)?;
    let code = crate::diff::exit_code(&diff, d.fail_on);
    finish(&d.common, format, || {
        gate::summary(
            &bad,
            &format!(
                "diff of {} GOOD against {} BAD",
                gate::jobs(good.jobs.len()),
                gate::jobs(bad.jobs.len())
            ),
            false,
            code,
            d.common.output.as_deref(),
            &formats::name(format),
        )
    });
    Ok(code)
}

/// One side of a diff, analysed as `analyze` would (without `--job`).
fn diff_side(c: &CommonArgs, d: &DiffArgs) -> Result<report::Report, CliError> {
    // A diff compares findings and jobs; it draws no picture.
    Ok(d.rules
        .diagnose(read_inputs(c)?, None, d.fail_on, report::Drawing::NoPicture))
}

/// A line on stderr, for people: control characters shown visibly (it may quote member names
/// and log text), and written without ever failing the run. A closed or full stderr
/// (`2>&1 | head -1`, `2>/dev/full`) loses the note, never the report or the exit code;
/// `eprintln!` would panic there instead.
fn note(msg: &str) {
    // One note, one line: a newline in a member name must not forge a second note.
    let text = render::escape::terminal(msg);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|_| err.write_all(b"\n"))
        .and_then(|_| err.flush());
}

/// A terminal document (table, jobs, timeline, diff) after the last escaping pass: nothing but
/// the renderer's own colours can reach the terminal ([`render::escape::terminal_output`]).
fn terminal_doc(text: &str, colour: bool) -> String {
    render::escape::terminal_output(text, colour).into_owned()
}

/// Refuses an `-o` path that is one of the inputs (the same file by device and inode, whatever
/// the spelling: `./b.tar.gz`, a hard link, a symlink to it). Writing the report there would
/// replace the evidence with its own diagnosis.
fn check_output_is_not_an_input(
    output: Option<&PathBuf>,
    inputs: &[&String],
) -> Result<(), CliError> {
    let Some(out) = output else { return Ok(()) };
    let Some(out_id) = file_id(out) else {
        return Ok(()); // does not exist yet: it cannot be an input
    };
    for i in inputs.iter().filter(|i| i.as_str() != "-") {
        if file_id(std::path::Path::new(i.as_str())) == Some(out_id) {
            return Err(CliError::Usage(format!(
                "-o {} is the input {i}: writing the report there would destroy the logs it \
                 is about; choose another file",
                out.display()
            )));
        }
    }
    Ok(())
}

/// (device, inode) of an existing path, following symlinks.
#[cfg(unix)]
fn file_id(p: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// Elsewhere the canonical path stands in for the file's identity.
#[cfg(not(unix))]
fn file_id(p: &std::path::Path) -> Option<(u64, u64)> {
    use std::hash::{Hash, Hasher};
    let c = std::fs::canonicalize(p).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    c.hash(&mut h);
    Some((0, h.finish()))
}

fn write_out(path: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    write_with(path, |w| w.write_all(text.as_bytes()))
}

/// Writes the output through `f`: to `-o FILE` whole or not at all ([`write_file`]), else to
/// stdout, buffered.
fn write_with(
    path: Option<&PathBuf>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    match path {
        Some(p) => write_file(p, f).map_err(|source| CliError::Write {
            path: p.display().to_string(),
            source,
        }),
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            match f(&mut out).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(source) => Err(CliError::Write {
                    path: "to stdout".to_string(),
                    source,
                }),
            }
        }
    }
}

/// Writes a report file whole or not at all: into a temporary file beside it, synced, then
/// renamed over the target. A full disk or a kill mid-write leaves the old file (or none), never
/// half a report that a CI step would then parse. Targets that are not regular files
/// (`/dev/stdout`, a fifo) cannot be renamed over and are written directly.
fn write_file(
    p: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // A symlink is written through, as a plain create would: the rename replaces its target.
    let resolved;
    let p = if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
        resolved = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        resolved.as_path()
    } else {
        p
    };
    if std::fs::metadata(p).is_ok_and(|m| !m.is_file()) {
        let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
        f(&mut w)?;
        return w.flush();
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut b = tempfile::Builder::new();
    b.prefix(".ddldiag-").suffix(".tmp");
    // The mode a plain create would give (0666 less the umask), not tempfile's private 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = b.tempfile_in(dir)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp);
    f(&mut w)?;
    let tmp = w.into_inner().map_err(|e| e.into_error())?;
    tmp.as_file().sync_all()?;
    tmp.persist(p).map_err(|e| e.error)?;
    Ok(())
}

//! `demine treaty`: the Convention's rules from the command line. Parses arguments and JSON
//! input, calls `demine-treaty`, prints the answer as text or (with `--json`) as JSON.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::{ArgGroup, Args, Subcommand};
use demine_treaty::{
    self as treaty, ArmedConflict, Basis, Classification, DeviceDescription, ExtensionRequest,
    GrantedExtension, Instrument, NaiveDate, Proposal, TreatyEvents,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

const TREATY_ABOUT: &str = "The Mine Ban Treaty's rules: entry into force, deadlines, extensions, \
withdrawal, reservations, device classification, status";

const TREATY_LONG: &str = "The Mine Ban Treaty (1997 Ottawa Convention) as executable rules.

Every answer cites the articles it rests on. Dates are ISO 8601 (YYYY-MM-DD). Add --json to any \
command for machine-readable output (the keys are documented in docs/treaty.md).

Exit status: 0 an answer was given; 1 bad input in a file or inconsistent facts (malformed JSON, a \
missing or unknown field, an impossible date in JSON, a deposit before the Convention opened), \
with a message naming the source, line, column and field; 2 a bad command line (an unknown \
option, an impossible date such as 2023-02-30, an unknown instrument), naming the option; \
3 `extension validate` found the request incomplete (the report is still printed).

Month arithmetic: adding months or years keeps the day of the month and falls back to the last \
day of a shorter month (29 February + 10 years = 28 February; 31 August + 6 months = 28/29 \
February).";

const DEVICE_SCHEMA: &str = "INPUT (a JSON object describing one device):
  name               string, required
  description        string, optional (for the record)
  source             string, optional (for the record)
  count              integer, optional (how many a mixed system holds)
  emplaced           bool, default true: designed to be placed under, on or near the ground or
                     another surface area (Art. 2(2))
  remotely_delivered bool, default false: scattered by aircraft, artillery, rocket or dispenser
                     to come to rest on the ground (counts as emplaced)
  triggers           list, required unless `components` is given; each one of
                       {\"kind\": \"presence\",  \"of\": \"person\"|\"vehicle\", \"sensor\": string?}
                       {\"kind\": \"proximity\", \"of\": \"person\"|\"vehicle\", \"sensor\": string?}
                       {\"kind\": \"contact\",   \"of\": \"person\"|\"vehicle\"}
                       {\"kind\": \"pressure\",  \"threshold_kg\": number (minimum operating force)}
                       {\"kind\": \"tripwire\",  \"pull_kg\": number?}
                       {\"kind\": \"tilt-rod\",  \"force_kg\": number?}
                       {\"kind\": \"command\"}   {\"kind\": \"timer\"}
                       {\"kind\": \"impact\"}    (fires on its own impact on delivery: a
                                             DPICM grenade, a shell; not a mine)
  designed_to_harm   list of \"persons\" | \"vehicles\", required unless `components` is given
  anti_handling      optional {\"activation\": \"intentional-disturbance\"|\"otherwise\",
                                \"description\": string?}
  self_destruct      bool, default false
  self_deactivation  bool, default false
  components         list of device objects (same schema), for mixed systems
  modes              list of {\"name\": string, \"triggers\": [trigger, ...]}, for a device with
                     a switch between firing modes (man-in-the-loop and battlefield override):
                     judged by its worst mode
  expected_verdict   \"prohibited\"|\"permitted\"|\"contested\", optional, ignored by the classifier

Pressure bands: below 50 kg a person sets the fuze off; 50 to below 150 kg is contested for an
anti-vehicle design; 150 kg and above only a vehicle.

OUTPUT (--json): {name, verdict, category, reasons: [{article, reason}],
  readings: [{held_by, verdict, reasons}] (contested only), components: [same shape],
  modes: [same shape] (switchable devices only)}

Examples: examples/devices/*.json";

const PROPOSAL_SCHEMA: &str = "INPUT (a JSON object):
  title     string, required
  proposer  string, optional;  date  YYYY-MM-DD, optional;  source  string, optional
  items     list, required, non-empty; each one of
    {\"kind\": \"geographic\",    \"region\": string, \"description\": string?}
    {\"kind\": \"technological\", \"weapon\": string, \"description\": string?,
                                \"device\": device object? (see `demine treaty classify --help`)}
    {\"kind\": \"temporal\",      \"delays\": \"entry-into-force\"|\"prohibitions\"|
                                \"stockpile-destruction\"|\"clearance\",
                                \"years\": integer >= 1, \"description\": string?}
    {\"kind\": \"reservation\",   \"text\": string}
    {\"kind\": \"declaration\",   \"text\": string, \"excludes_or_modifies\": bool (default false)}
    {\"kind\": \"retention\",     \"mines\": integer, \"purpose\": string?, \"description\": string?}
                                (Art. 3: compatible; flagged above 10000 mines, far beyond what
                                States retain in practice, with the comparison)

Verdicts: incompatible (a reservation, barred by Art. 19), compatible (not a reservation),
not-needed (a technological item whose device is outside the ban on every reading: nothing to
exempt).

OUTPUT (--json): {title, compatible, items: [{index, kind, summary, verdict, basis, device?,
  flags?}], basis}

Example: examples/proposals/us-1997.json (the 1997 United States proposal)";

const EXTENSION_SCHEMA: &str = "INPUT (a JSON object):
  state                string, optional
  current_deadline     YYYY-MM-DD, required: the deadline the request would extend
  requested_until      YYYY-MM-DD: (a) the proposed new deadline (at most 10 years later)
  reasons              (b) {explanation?, national_demining_programme (i),
                            financial_and_technical_means (ii), impeding_circumstances (iii)}
  implications         (c) {humanitarian, social, economic, environmental}
  other_information    (d) string (write \"none\" if there is none)
  further_request      bool, default false (implied by previous_extension)
  previous_extension   {granted_until: YYYY-MM-DD?, work_undertaken: string} (Art. 5(6))
Blank strings count as missing. Every missing item is reported with its article.

OUTPUT (--json): {complete, current_deadline, requested_until, latest_allowed, further_request,
  findings: [{article, field, problem}], basis}

Examples: examples/extensions/*.json";

/// `demine treaty ...`
#[derive(Debug, Args)]
#[command(about = TREATY_ABOUT, long_about = TREATY_LONG)]
pub struct TreatyArgs {
    /// Print the answer as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: TreatyCommand,
}

#[derive(Debug, Subcommand)]
enum TreatyCommand {
    /// Entry into force (Art. 17) and the deadlines that follow (Arts. 4, 5(1), 7(1)).
    #[command(
        long_about = "Entry into force (Art. 17) and the deadlines that follow from it: stockpile \
destruction (Art. 4, +4 years, no extension), clearance (Art. 5(1), +10 years before extensions) \
and the initial transparency report (Art. 7(1), +180 days).

Deposits up to and including the 40th instrument (16 September 1998) take the global date, \
1 March 1999; later ones the first day of the sixth month after the month of deposit. A \
succession binds from --succession-date when given.",
        after_help = "JSON keys: deposited, instrument, succession_date, entry_into_force, \
stockpile_destruction_deadline, clearance_deadline, initial_report_due, basis [{article, reason}].

Example: demine treaty obligations --deposited 2025-03-12 --json"
    )]
    Obligations(DepositArgs),
    /// The annual transparency update due in a year (Art. 7(2)).
    #[command(after_help = "JSON keys: year, due, covers {from, to}, basis.

Example: demine treaty annual-report-due --year 2026 --json")]
    AnnualReportDue(AnnualArgs),
    /// When a withdrawal takes effect (Art. 20(3)), or why it is pending.
    #[command(
        long_about = "When a withdrawal takes effect (Art. 20(3)): six months after the \
depositary receives the instrument, but if the State is then engaged in an armed conflict, not \
before the conflict ends (the effective date is the end date given with --conflict-ended; \
without it the withdrawal is pending).",
        after_help = "JSON keys: deposited, earliest_effective, effective (date or null), \
pending_reason (text or null), basis.

Example: demine treaty withdrawal --deposited 2025-06-29 --armed-conflict --json"
    )]
    Withdrawal(WithdrawalArgs),
    /// Classify a device under Art. 2: prohibited, permitted or contested.
    #[command(after_help = DEVICE_SCHEMA)]
    Classify(FileArg),
    /// Evaluate a proposal of exemptions or reservations against Art. 19.
    #[command(after_help = PROPOSAL_SCHEMA)]
    Evaluate(FileArg),
    /// Extension requests and the clearance deadline after extensions (Art. 5(3)-(6)).
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// A State's status on a date, from its treaty events.
    #[command(
        long_about = "A State's status on a date (default: today, UTC), computed from its treaty \
events: not-signatory, signatory, pending-entry-into-force, party, withdrawal-pending, withdrawn.",
        after_help = "JSON keys: as_of, status, entry_into_force, withdrawal (null or the \
withdrawal answer), basis.

Example: demine treaty status --deposited 2004-05-12 --instrument accession \
--withdrawal-deposited 2025-06-27 --as-of 2026-01-01"
    )]
    Status(StatusArgs),
    /// The deadline for destroying a stockpile discovered after the Art. 4 deadline.
    #[command(
        long_about = "The deadline for destroying anti-personnel mines found in stock: the Art. 4 \
deadline if found before it, otherwise six months after discovery (Fourth Review Conference, \
2019).",
        after_help = "JSON keys: discovered, article_4_deadline, after_deadline, destroy_by, basis."
    )]
    DiscoveredStockpile(DiscoveredArgs),
}

#[derive(Debug, Subcommand)]
enum ExtensionCommand {
    /// Check an extension request's duration and required contents (Art. 5(3), (4), (6)).
    #[command(after_help = EXTENSION_SCHEMA)]
    Validate(FileArg),
    /// The clearance deadline in force after granted extensions (Art. 5(1), (5), (6)).
    #[command(
        group(ArgGroup::new("start").required(true).args(["entry_into_force", "deposited"])),
        after_help = "JSON keys: entry_into_force, original_deadline, clearance_deadline, \
extensions [{decided_on, granted_until}], basis.

Example: demine treaty extension deadline --entry-into-force 1999-03-01 \
--granted 2008-11-28:2019-03-01 --granted 2018-11-30:2025-12-31"
    )]
    Deadline(DeadlineArgs),
}

/// A date on the command line: YYYY-MM-DD and a real calendar day.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| {
        format!("`{s}` is not a valid date ({e}); expected YYYY-MM-DD naming a real calendar day")
    })
}

fn parse_instrument(s: &str) -> Result<Instrument, String> {
    s.parse::<Instrument>().map_err(|e| e.to_string())
}

fn parse_granted(s: &str) -> Result<GrantedExtension, String> {
    let (decided, until) = s.split_once(':').ok_or_else(|| {
        format!("`{s}` should be DECIDED_ON:GRANTED_UNTIL, e.g. 2008-11-28:2019-03-01")
    })?;
    Ok(GrantedExtension {
        decided_on: parse_date(decided).map_err(|e| format!("decided_on: {e}"))?,
        granted_until: parse_date(until).map_err(|e| format!("granted_until: {e}"))?,
        basis: treaty::ExtensionBasis::Art5,
        decision: None,
    })
}

#[derive(Debug, Args)]
struct DepositArgs {
    /// Date the instrument was deposited with the depositary (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    deposited: NaiveDate,
    /// Kind of instrument: ratification, acceptance, approval, accession or succession.
    #[arg(long, value_name = "KIND", default_value = "ratification", value_parser = parse_instrument)]
    instrument: Instrument,
    /// For a succession: the date of succession from which the State is bound.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    succession_date: Option<NaiveDate>,
}

#[derive(Debug, Args)]
struct AnnualArgs {
    /// The year in which the update is due (2000 or later).
    #[arg(long, value_name = "YYYY")]
    year: i32,
}

#[derive(Debug, Args)]
struct WithdrawalArgs {
    /// Date the depositary received the instrument of withdrawal.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    deposited: NaiveDate,
    /// The State is engaged in an armed conflict (from --conflict-began, or since before the
    /// six months expire).
    #[arg(long)]
    armed_conflict: bool,
    /// When the State became engaged in the armed conflict (default: the deposit date).
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "armed_conflict")]
    conflict_began: Option<NaiveDate>,
    /// When the armed conflict ended.
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "armed_conflict")]
    conflict_ended: Option<NaiveDate>,
}

#[derive(Debug, Args)]
struct FileArg {
    /// JSON file to read, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    file: PathBuf,
}

#[derive(Debug, Args)]
struct DeadlineArgs {
    /// Entry into force for the State (or give --deposited instead).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    entry_into_force: Option<NaiveDate>,
    /// Deposit date, to compute entry into force (Art. 17).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    deposited: Option<NaiveDate>,
    /// Kind of instrument, with --deposited.
    #[arg(long, value_name = "KIND", default_value = "ratification", value_parser = parse_instrument)]
    instrument: Instrument,
    /// Date of succession, with --deposited and --instrument succession.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    succession_date: Option<NaiveDate>,
    /// A granted extension, as DECIDED_ON:GRANTED_UNTIL (repeatable).
    #[arg(long, value_name = "DECIDED:UNTIL", value_parser = parse_granted)]
    granted: Vec<GrantedExtension>,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// The date to evaluate (default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Date of signature.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    signed: Option<NaiveDate>,
    /// Date the instrument of consent was deposited.
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "instrument")]
    deposited: Option<NaiveDate>,
    /// Kind of instrument (required with --deposited).
    #[arg(long, value_name = "KIND", value_parser = parse_instrument)]
    instrument: Option<Instrument>,
    /// Date of succession (with --instrument succession).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    succession_date: Option<NaiveDate>,
    /// Date the instrument of withdrawal was deposited.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    withdrawal_deposited: Option<NaiveDate>,
    /// Engaged in an armed conflict since this date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    armed_conflict_since: Option<NaiveDate>,
    /// The armed conflict ended on this date.
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "armed_conflict_since")]
    conflict_ended: Option<NaiveDate>,
}

#[derive(Debug, Args)]
struct DiscoveredArgs {
    /// When the stockpile was discovered.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    discovered: NaiveDate,
    #[command(flatten)]
    deposit: DepositArgs,
}

/// Append a line to the output buffer (writing to a `String` cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Exit status when `extension validate` finds the request incomplete.
const EXIT_INCOMPLETE: u8 = 3;

/// Run `demine treaty ...`. Output is assembled first and written once, so a closed pipe
/// (`| head`) ends the program quietly instead of panicking.
pub fn run(args: TreatyArgs) -> Result<u8> {
    let json = args.json;
    let mut out = String::new();
    let mut complete = true;
    match args.command {
        TreatyCommand::Obligations(a) => obligations(&a, json, &mut out)?,
        TreatyCommand::AnnualReportDue(a) => annual(&a, json, &mut out)?,
        TreatyCommand::Withdrawal(a) => withdrawal(&a, json, &mut out)?,
        TreatyCommand::Classify(a) => classify(&a, json, &mut out)?,
        TreatyCommand::Evaluate(a) => evaluate(&a, json, &mut out)?,
        TreatyCommand::Extension(ExtensionCommand::Validate(a)) => {
            complete = validate(&a, json, &mut out)?;
        }
        TreatyCommand::Extension(ExtensionCommand::Deadline(a)) => deadline(&a, json, &mut out)?,
        TreatyCommand::Status(a) => status(&a, json, &mut out)?,
        TreatyCommand::DiscoveredStockpile(a) => discovered(&a, json, &mut out)?,
    }
    emit(&out)?;
    Ok(if complete { 0 } else { EXIT_INCOMPLETE })
}

fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow!("cannot write to standard output: {e}")),
    }
}

fn print_json<T: Serialize>(out: &mut String, value: &T) -> Result<()> {
    outln!(out, "{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn print_basis(out: &mut String, basis: &[Basis], indent: &str) {
    for b in basis {
        outln!(out, "{indent}[Art. {}] {}", b.article, b.reason);
    }
}

/// Output of `obligations --json`: the inputs, then the engine's answer.
#[derive(Serialize)]
struct ObligationsOut<'a> {
    deposited: NaiveDate,
    instrument: Instrument,
    succession_date: Option<NaiveDate>,
    #[serde(flatten)]
    obligations: &'a treaty::Obligations,
}

/// Output of `status --json`: the date asked about, then the engine's answer.
#[derive(Serialize)]
struct StatusOut<'a> {
    as_of: NaiveDate,
    #[serde(flatten)]
    ruling: &'a treaty::StatusRuling,
}

fn obligations(a: &DepositArgs, json: bool, out: &mut String) -> Result<()> {
    let o = treaty::obligations(a.deposited, a.instrument, a.succession_date)?;
    if json {
        return print_json(
            out,
            &ObligationsOut {
                deposited: a.deposited,
                instrument: a.instrument,
                succession_date: a.succession_date,
                obligations: &o,
            },
        );
    }
    outln!(
        out,
        "Instrument of {} deposited {}",
        a.instrument,
        a.deposited
    );
    outln!(
        out,
        "  entry into force (Art. 17):         {}",
        o.entry_into_force
    );
    outln!(
        out,
        "  initial report due (Art. 7(1)):     {}",
        o.initial_report_due
    );
    outln!(
        out,
        "  stockpiles destroyed by (Art. 4):   {}",
        o.stockpile_destruction_deadline
    );
    outln!(
        out,
        "  mined areas cleared by (Art. 5(1)): {}",
        o.clearance_deadline
    );
    outln!(out, "Basis:");
    print_basis(out, &o.basis, "  ");
    Ok(())
}

fn annual(a: &AnnualArgs, json: bool, out: &mut String) -> Result<()> {
    let r = treaty::annual_report_due(a.year)?;
    if json {
        return print_json(
            out,
            &json!({
                "year": r.year,
                "due": r.due,
                "covers": { "from": r.covers_from, "to": r.covers_to },
                "basis": r.basis,
            }),
        );
    }
    outln!(
        out,
        "Annual transparency update for {}: due {}, covering {} to {}",
        r.year,
        r.due,
        r.covers_from,
        r.covers_to
    );
    print_basis(out, &r.basis, "  ");
    Ok(())
}

fn withdrawal(a: &WithdrawalArgs, json: bool, out: &mut String) -> Result<()> {
    let conflicts: Vec<ArmedConflict> = if a.armed_conflict {
        vec![ArmedConflict {
            began: a.conflict_began.unwrap_or(a.deposited),
            ended: a.conflict_ended,
        }]
    } else {
        Vec::new()
    };
    let r = treaty::withdrawal(a.deposited, &conflicts).map_err(|e| match e {
        treaty::TreatyError::InvalidConflict { reason, .. } => {
            anyhow!("--conflict-ended / --conflict-began: {reason}")
        }
        other => anyhow!(other),
    })?;
    if json {
        return print_json(out, &r);
    }
    outln!(out, "Withdrawal deposited {}", r.deposited);
    outln!(out, "  earliest effective: {}", r.earliest_effective);
    match (r.effective, &r.pending_reason) {
        (Some(d), _) => outln!(out, "  effective:          {d}"),
        (None, Some(why)) => outln!(out, "  PENDING: {why}"),
        (None, None) => outln!(out, "  PENDING"),
    }
    outln!(out, "Basis:");
    print_basis(out, &r.basis, "  ");
    Ok(())
}

/// Read and parse a JSON input file (or stdin for `-`), with errors naming the source, line,
/// column and field.
fn read_json<T: DeserializeOwned>(path: &PathBuf, what: &str) -> Result<(T, String)> {
    let (text, source) = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        (s, "<stdin>".to_string())
    } else {
        let s = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {what} file {}", path.display()))?;
        (s, path.display().to_string())
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let parsed = serde_path_to_error::deserialize::<_, T>(&mut de)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .and_then(|v| de.end().map(|()| v).map_err(|e| (String::new(), e)));
    match parsed {
        Ok(v) => Ok((v, source)),
        Err((field, e)) => Err(json_error(&source, what, &field, &e)),
    }
}

/// A JSON error as `SOURCE:LINE:COLUMN: kind what at `field`: message`.
fn json_error(source: &str, what: &str, field: &str, e: &serde_json::Error) -> anyhow::Error {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let message = full
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(&full);
    let kind = match e.classify() {
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Data => "invalid",
        serde_json::error::Category::Io => "unreadable",
    };
    let at = if field.is_empty() || field == "." {
        String::new()
    } else {
        format!(" at `{field}`")
    };
    let hint = if DATE_ERRORS.iter().any(|m| message.starts_with(m)) {
        " (expected a date YYYY-MM-DD naming a real calendar day)"
    } else {
        ""
    };
    anyhow!("{source}:{line}:{column}: {kind} {what}{at}: {message}{hint}")
}

/// The messages chrono gives for a date string that does not parse.
const DATE_ERRORS: [&str; 6] = [
    "input is out of range",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is not enough",
    "no possible date",
];

fn classify(a: &FileArg, json: bool, out: &mut String) -> Result<()> {
    let (device, source): (DeviceDescription, _) = read_json(&a.file, "device description")?;
    let c = treaty::classify(&device).map_err(|e| anyhow!("{source}: {e}"))?;
    if json {
        return print_json(out, &c);
    }
    print_classification(out, &c, "");
    Ok(())
}

fn print_classification(out: &mut String, c: &Classification, indent: &str) {
    outln!(
        out,
        "{indent}{}: {} ({})",
        c.name,
        c.verdict.as_str().to_uppercase(),
        serde_json::to_value(c.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    );
    print_basis(out, &c.reasons, &format!("{indent}  "));
    for r in &c.readings {
        outln!(
            out,
            "{indent}  Reading held by {}: {}",
            r.held_by,
            r.verdict
        );
        print_basis(out, &r.reasons, &format!("{indent}    "));
    }
    if !c.components.is_empty() {
        outln!(out, "{indent}  Components:");
        for comp in &c.components {
            print_classification(out, comp, &format!("{indent}    "));
        }
    }
    if !c.modes.is_empty() {
        outln!(out, "{indent}  Modes:");
        for m in &c.modes {
            print_classification(out, m, &format!("{indent}    "));
        }
    }
}

fn evaluate(a: &FileArg, json: bool, out: &mut String) -> Result<()> {
    let (proposal, source): (Proposal, _) = read_json(&a.file, "proposal")?;
    let e = treaty::evaluate_proposal(&proposal).map_err(|e| anyhow!("{source}: {e}"))?;
    if json {
        return print_json(out, &e);
    }
    outln!(
        out,
        "{}: {}",
        e.title,
        if e.compatible {
            "COMPATIBLE"
        } else {
            "INCOMPATIBLE"
        }
    );
    print_basis(out, &e.basis, "  ");
    for item in &e.items {
        outln!(
            out,
            "  {}. [{}] {}: {}",
            item.index,
            item.kind,
            item.summary,
            item.verdict.to_string().to_uppercase()
        );
        print_basis(out, &item.basis, "       ");
        for f in &item.flags {
            outln!(out, "       FLAG [Art. {}] {}", f.article, f.reason);
        }
        if let Some(c) = &item.device {
            print_classification(out, c, "       ");
        }
    }
    Ok(())
}

fn validate(a: &FileArg, json: bool, out: &mut String) -> Result<bool> {
    let (request, source): (ExtensionRequest, _) = read_json(&a.file, "extension request")?;
    let v = treaty::validate_extension_request(&request).map_err(|e| anyhow!("{source}: {e}"))?;
    if json {
        print_json(out, &v)?;
    } else {
        outln!(
            out,
            "Extension request{}: {}",
            request
                .state
                .as_deref()
                .map(|s| format!(" of {s}"))
                .unwrap_or_default(),
            if v.complete { "COMPLETE" } else { "INCOMPLETE" }
        );
        outln!(
            out,
            "  extends {} to {} (latest allowed {}){}",
            v.current_deadline,
            v.requested_until
                .map(|d| d.to_string())
                .unwrap_or_else(|| "?".into()),
            v.latest_allowed,
            if v.further_request {
                "; a further request"
            } else {
                ""
            }
        );
        for f in &v.findings {
            outln!(out, "  [Art. {}] {}: {}", f.article, f.field, f.problem);
        }
        outln!(out, "Basis:");
        print_basis(out, &v.basis, "  ");
    }
    Ok(v.complete)
}

fn deadline(a: &DeadlineArgs, json: bool, out: &mut String) -> Result<()> {
    let (eif, mut basis) = match (a.entry_into_force, a.deposited) {
        (Some(eif), _) => (eif, Vec::new()),
        (None, Some(dep)) => treaty::entry_into_force(dep, a.instrument, a.succession_date)?,
        (None, None) => bail!("give --entry-into-force or --deposited"),
    };
    let original = treaty::current_clearance_deadline(eif, &[])?.0;
    let (deadline, more) = treaty::current_clearance_deadline(eif, &a.granted)
        .map_err(|e| anyhow!("--granted: {e}"))?;
    basis.extend(more);
    if json {
        return print_json(
            out,
            &json!({
                "entry_into_force": eif,
                "original_deadline": original,
                "clearance_deadline": deadline,
                "extensions": a.granted,
                "basis": basis,
            }),
        );
    }
    outln!(out, "Entry into force {eif}; Art. 5(1) deadline {original}");
    outln!(out, "Clearance deadline in force: {deadline}");
    print_basis(out, &basis, "  ");
    Ok(())
}

fn status(a: &StatusArgs, json: bool, out: &mut String) -> Result<()> {
    let as_of = a.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let events = TreatyEvents {
        signed: a.signed,
        deposited: a.deposited,
        instrument: a.instrument,
        succession_date: a.succession_date,
        withdrawal_deposited: a.withdrawal_deposited,
        armed_conflicts: a
            .armed_conflict_since
            .map(|began| ArmedConflict {
                began,
                ended: a.conflict_ended,
            })
            .into_iter()
            .collect(),
    };
    let r = treaty::status_as_of(&events, as_of)?;
    if json {
        return print_json(out, &StatusOut { as_of, ruling: &r });
    }
    outln!(out, "Status on {as_of}: {}", r.status);
    if let Some(eif) = r.entry_into_force {
        outln!(out, "  bound since / from: {eif}");
    }
    if let Some(w) = &r.withdrawal {
        match w.effective {
            Some(d) => outln!(out, "  withdrawal effective: {d}"),
            None => outln!(out, "  withdrawal pending"),
        }
    }
    print_basis(out, &r.basis, "  ");
    Ok(())
}

fn discovered(a: &DiscoveredArgs, json: bool, out: &mut String) -> Result<()> {
    let o = treaty::obligations(
        a.deposit.deposited,
        a.deposit.instrument,
        a.deposit.succession_date,
    )?;
    let r = treaty::discovered_stockpile_deadline(a.discovered, o.stockpile_destruction_deadline)?;
    if json {
        return print_json(out, &r);
    }
    outln!(
        out,
        "Stockpile discovered {}: destroy by {}{}",
        r.discovered,
        r.destroy_by,
        if r.after_deadline {
            " (found after the Art. 4 deadline)"
        } else {
            ""
        }
    );
    print_basis(out, &r.basis, "  ");
    Ok(())
}

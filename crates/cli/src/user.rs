//! `demine user`: the accounts of `demine serve` (add, list, disable, passwd, token). Passwords
//! are read from a prompt that does not echo, or from standard input with `--password-stdin`;
//! never from the command line, where other users could read them.

use std::io::BufRead;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use demine_server::accounts::{self, NewAccount};

use crate::registry::DbArgs;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a user. Roles: administrator (everything, accounts too), editor (enters field
    /// reports within --iso3 and, with --organisation, only that organisation's), reviewer
    /// (approves or rejects others' reports, within --iso3 if given), viewer (reads).
    Add(AddArgs),
    /// Lists users (never their passwords).
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disables a user (their sessions end; their tokens stop working), or enables them again.
    Disable {
        name: String,
        /// Enable the user again instead.
        #[arg(long)]
        enable: bool,
    },
    /// Sets a user's password (their sessions end).
    Passwd {
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Makes an API token for scripts (`Authorization: Bearer <token>`). It is printed once;
    /// only its hash is kept.
    Token {
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        label: String,
    },
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The user's name (letters, digits, '.', '_', '-', '@').
    pub name: String,
    /// administrator, editor, reviewer or viewer.
    #[arg(long)]
    pub role: String,
    /// The State the user works in (ISO3); editors need one.
    #[arg(long)]
    pub iso3: Option<String>,
    /// The organisation within the State whose work the user sees and edits.
    #[arg(long)]
    pub organisation: Option<String>,
    /// May read restricted personal data (victims' identities).
    #[arg(long)]
    pub restricted: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

fn read_password(args: &PasswordArgs, name: &str) -> Result<String> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password(format!("password for {name}: "))
        .context("reading the password (no terminal? use --password-stdin)")?;
    let again = rpassword::prompt_password("again: ").context("reading the password")?;
    if first != again {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// An account error as the CLI's exit codes mean it: 4 not found, 6 refused, 1 otherwise.
fn api(e: demine_server::ApiError) -> anyhow::Error {
    use demine_server::ApiError as E;
    let app = match e {
        E::NotFound(m) => demine_app::AppError::NotFound { what: m },
        E::Forbidden(m) | E::Unauthenticated(m) => demine_app::AppError::Refused(m),
        other => demine_app::AppError::Invalid(other.to_string()),
    };
    app.into()
}

pub fn run(db: &DbArgs, command: UserCommand) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(db, command))
}

async fn run_async(db: &DbArgs, command: UserCommand) -> Result<()> {
    let store = db.open().await?;
    let actor = db.actor();
    match command {
        UserCommand::Add(a) => {
            let role = accounts::parse_role(&a.role).map_err(api)?;
            let password = read_password(&a.password, &a.name)?;
            let new = NewAccount {
                name: a.name,
                role,
                iso3: a.iso3,
                organisation: a.organisation,
                restricted: a.restricted,
            };
            let u = accounts::add(&store, &new, &password, &actor)
                .await
                .map_err(api)?;
            println!("added {} ({}{})", u.name, u.role, scope(&u));
        }
        UserCommand::List { json } => {
            let users = accounts::list(&store).await.map_err(api)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in &users {
                    println!(
                        "{:<24} {:<13} {:<20} {}{}",
                        u.name,
                        u.role.name(),
                        scope(u).trim_start_matches(", "),
                        if u.restricted { "restricted " } else { "" },
                        if u.disabled { "DISABLED" } else { "" }
                    );
                }
                println!("{} user(s)", users.len());
            }
        }
        UserCommand::Disable { name, enable } => {
            let u = accounts::set_disabled(&store, &name, !enable, &actor)
                .await
                .map_err(api)?;
            println!(
                "{} is {}",
                u.name,
                if u.disabled { "disabled" } else { "enabled" }
            );
        }
        UserCommand::Passwd { name, password } => {
            let pw = read_password(&password, &name)?;
            accounts::set_password(&store, &name, &pw, &actor)
                .await
                .map_err(api)?;
            println!("password of {name} changed; their sessions ended");
        }
        UserCommand::Token { name, label } => {
            let (token, _) = accounts::token(&store, &name, &label, &actor)
                .await
                .map_err(api)?;
            eprintln!("token for {name} ({label}); it is shown only now:");
            println!("{token}");
        }
    }
    Ok(())
}

fn scope(u: &demine_store::accounts::User) -> String {
    let mut s = String::new();
    if let Some(i) = &u.iso3 {
        s.push_str(", ");
        s.push_str(i);
    }
    if let Some(o) = &u.organisation {
        s.push_str(", ");
        s.push_str(o);
    }
    s
}

//! The embedded PostgreSQL cluster: a private server under a data directory, reached only
//! through a Unix socket, for `onemap` without `DATABASE_URL` and for the test suite.

use std::fs::{self, File};
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;

/// Superuser created by `initdb`; the socket is private, so trust authentication is safe.
const SUPERUSER: &str = "onemap";
/// Port number only names the socket file (`.s.PGSQL.5432`): no TCP port is opened.
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes by the kernel.
const MAX_SOCKET_PATH: usize = 100;

/// A local cluster in `data_dir`, run by an unprivileged user when onemap runs as root.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    /// `Some(uid, gid)` of the `postgres` system user when onemap runs as root.
    run_as: Option<(u32, u32)>,
    /// Extra settings for throwaway clusters (tests): durability traded for speed.
    fast_unsafe: bool,
}

impl LocalCluster {
    /// Describes the cluster for `data_dir`; nothing is created or started yet.
    pub fn new(data_dir: &Path) -> Result<Self> {
        let data_dir = absolute(data_dir)?;
        let bin_dir = find_bin_dir()?;
        let run_as = if nix::unistd::geteuid().is_root() { Some(postgres_user()?) } else { None };
        let socket_dir = socket_dir_for(&data_dir);
        Ok(Self { data_dir, socket_dir, bin_dir, run_as, fast_unsafe: false })
    }

    /// Uses the server binaries in `bin_dir` instead of the installed ones.
    pub fn with_bin_dir(mut self, bin_dir: PathBuf) -> Self {
        self.bin_dir = bin_dir;
        self
    }

    /// Turns off fsync and friends: for throwaway test clusters only.
    pub fn fast_unsafe(mut self) -> Self {
        self.fast_unsafe = true;
        self
    }

    /// Connection options for `database` on this cluster's socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.socket_dir).port(PORT).username(SUPERUSER).database(database)
    }

    /// A URL for psql, sqlx and `DATABASE_URL`: the socket directory, percent-encoded, is the host.
    pub fn url(&self, database: &str) -> String {
        let host: String = self
            .socket_dir
            .to_string_lossy()
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("postgresql://{SUPERUSER}@{host}:{PORT}/{database}")
    }

    /// A libpq key-value connection string for `database` (for other programs, such as Martin).
    pub fn key_value_connection(&self, database: &str) -> String {
        format!("host={} port={PORT} user={SUPERUSER} dbname={database}", self.socket_dir.display())
    }

    /// Creates the cluster on first use and starts it unless it already runs.
    /// Returns true when this call started the server. Safe to call from many processes at once.
    pub fn ensure_running(&self) -> Result<bool> {
        let parent = self.data_dir.parent().context("data directory has no parent")?;
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let lock_path = self.data_dir.with_extension("lock");
        let lock = File::create(&lock_path).with_context(|| format!("cannot create {}", lock_path.display()))?;
        lock.lock().context("cannot lock the data directory")?;

        if !self.data_dir.join("PG_VERSION").exists() {
            self.init()?;
        }
        self.check_version()?;
        if self.is_running() {
            return Ok(false);
        }
        self.remove_stale_locks()?;
        self.start()?;
        Ok(true)
    }

    /// True when a postmaster of this data directory is alive.
    pub fn is_running(&self) -> bool {
        self.live_postmaster_pid().is_some()
    }

    /// Stops the server (fast shutdown: sessions are ended, data is kept).
    pub fn stop(&self) -> Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        let status = self
            .pg_command("pg_ctl")
            .args(["-D".as_ref(), self.data_dir.as_os_str()])
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .status()
            .context("cannot run pg_ctl stop")?;
        if !status.success() {
            bail!("pg_ctl stop failed for {}", self.data_dir.display());
        }
        Ok(())
    }

    fn init(&self) -> Result<()> {
        // An interrupted initdb leaves a partial directory that initdb refuses to reuse.
        if self.data_dir.exists() {
            let empty = fs::read_dir(&self.data_dir)?.next().is_none();
            if !empty {
                bail!(
                    "{} exists but holds no PostgreSQL cluster (no PG_VERSION): move it away or choose another --data-dir",
                    self.data_dir.display()
                );
            }
        }
        self.make_owned_dir(&self.data_dir)?;
        tracing::info!(dir = %self.data_dir.display(), "creating the local PostgreSQL cluster");
        let output = self
            .pg_command("initdb")
            .args(["-D".as_ref(), self.data_dir.as_os_str()])
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions"])
            .output()
            .context("cannot run initdb")?;
        if !output.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let mut conf = format!(
            "\n# onemap: private cluster, Unix socket only\nlisten_addresses = ''\nport = {PORT}\nunix_socket_directories = '{}'\nmax_connections = 200\n",
            self.socket_dir.display()
        );
        if self.fast_unsafe {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf_path = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf_path).context("cannot read postgresql.conf")?;
        text.push_str(&conf);
        fs::write(&conf_path, text).context("cannot write postgresql.conf")?;
        Ok(())
    }

    fn check_version(&self) -> Result<()> {
        let on_disk = fs::read_to_string(self.data_dir.join("PG_VERSION"))?.trim().to_string();
        let server = server_major(&self.bin_dir);
        if let Some(server) = server
            && server != on_disk
        {
            bail!(
                "the cluster in {} was made by PostgreSQL {on_disk} but the server found is {server} ({}): use a matching server or another --data-dir",
                self.data_dir.display(),
                self.bin_dir.display()
            );
        }
        Ok(())
    }

    fn start(&self) -> Result<()> {
        if self.socket_dir != self.data_dir {
            self.make_owned_dir(&self.socket_dir)?;
        }
        let log = self.data_dir.join("server.log");
        let output = self
            .pg_command("pg_ctl")
            .args(["-D".as_ref(), self.data_dir.as_os_str(), "-l".as_ref(), log.as_os_str()])
            .args(["-w", "-t", "60", "start"])
            .output()
            .context("cannot run pg_ctl start")?;
        if !output.status.success() {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            bail!(
                "PostgreSQL did not start in {}: {}\n{}",
                self.data_dir.display(),
                String::from_utf8_lossy(&output.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        tracing::info!(socket = %self.socket_dir.display(), "local PostgreSQL started");
        Ok(())
    }

    /// The PID in `postmaster.pid` when that process is a live postgres; a crash leaves the
    /// file behind, and its PID may since belong to an unrelated process.
    fn live_postmaster_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let pid: u32 = text.lines().next()?.trim().parse().ok()?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        let is_postgres = comm.trim() == "postgres" || comm.trim() == "postmaster";
        (is_postgres && cmdline.contains(&*self.data_dir.to_string_lossy())).then_some(pid)
    }

    fn remove_stale_locks(&self) -> Result<()> {
        let pid_file = self.data_dir.join("postmaster.pid");
        if pid_file.exists() {
            tracing::warn!(file = %pid_file.display(), "removing a stale postmaster.pid left by a crash");
            fs::remove_file(&pid_file)?;
        }
        let socket_lock = self.socket_dir.join(format!(".s.PGSQL.{PORT}.lock"));
        if socket_lock.exists() {
            fs::remove_file(&socket_lock)?;
            let _ = fs::remove_file(self.socket_dir.join(format!(".s.PGSQL.{PORT}")));
        }
        Ok(())
    }

    /// Creates `dir` with mode 0700, owned by the user that runs the server.
    fn make_owned_dir(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = self.run_as {
            chown(dir, Some(uid), Some(gid))?;
            let reachable = Command::new("runuser")
                .args(["-u", "postgres", "--", "test", "-w"])
                .arg(dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !reachable {
                bail!(
                    "{} is not reachable by the `postgres` user that runs the cluster when onemap runs as root \
                     (a parent directory is private?): choose a --data-dir under a world-traversable path",
                    dir.display()
                );
            }
        }
        Ok(())
    }

    /// A command for a PostgreSQL server binary, as the `postgres` user when we are root.
    fn pg_command(&self, program: &str) -> Command {
        let exe = self.bin_dir.join(program);
        match self.run_as {
            Some(_) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", "postgres", "--"]).arg(exe);
                cmd
            }
            None => Command::new(exe),
        }
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    let path = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    // Normalise `.` and `..` without requiring the path to exist yet.
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The socket lives in the data directory unless that path is too long for a socket.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let len = data_dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1;
    if len <= MAX_SOCKET_PATH {
        return data_dir.to_path_buf();
    }
    let hash = crate::hash::fnv1a(data_dir.as_os_str().as_encoded_bytes());
    std::env::temp_dir().join(format!("onemap-{hash:016x}"))
}

/// The PostgreSQL server binaries: `ONEMAP_PG_BIN`, else Debian's newest
/// `/usr/lib/postgresql/N/bin`, else `initdb` on the PATH.
pub fn find_bin_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("ONEMAP_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
            return Ok(dir);
        }
    }
    bail!(
        "no PostgreSQL server found (initdb): install it with `apt-get install postgresql-15 postgresql-15-postgis-3` \
         (scripts/setup does), set ONEMAP_PG_BIN, or set DATABASE_URL to use an existing server"
    )
}

/// The major version of the server binaries, from `initdb --version`.
pub fn server_major(bin_dir: &Path) -> Option<String> {
    let out = Command::new(bin_dir.join("initdb")).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().last()?;
    Some(version.split('.').next()?.to_string())
}

fn postgres_user() -> Result<(u32, u32)> {
    let Some(entry) = nix::unistd::User::from_name("postgres").ok().flatten() else {
        bail!(
            "onemap runs as root, and PostgreSQL refuses to: the cluster is run as the `postgres` system user, \
             which does not exist; install postgresql-15 (it creates the user) or run onemap as a normal user"
        );
    };
    Ok((entry.uid.as_raw(), entry.gid.as_raw()))
}

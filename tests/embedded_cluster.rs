//! The embedded PostgreSQL cluster: first use, reuse, crashes, root, missing PostGIS, and the
//! whole service stopped and started again with its data kept.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onemap::db::{Database, LocalCluster, cluster};
use reqwest::Method;
use serde_json::json;

/// A fresh directory under the temp dir (reachable by the `postgres` user when we are root),
/// removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("onemap-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn postgres_uid() -> u32 {
    let out = Command::new("id").args(["-u", "postgres"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn first_use_creates_a_private_cluster_with_postgis_and_reuses_it() {
    let tmp = scratch("first");
    let dir = tmp.join("pg");
    let db = Database::open(None, &dir, 2).await.unwrap();
    assert!(db.started_cluster);
    let postgis: String = sqlx::query_scalar("SELECT postgis_lib_version()").fetch_one(&db.pool).await.unwrap();
    assert!(postgis.starts_with('3'), "{postgis}");
    // No TCP port: the server listens on its socket only.
    let listen: String = sqlx::query_scalar("SHOW listen_addresses").fetch_one(&db.pool).await.unwrap();
    assert_eq!(listen, "");
    // The cluster is run by an unprivileged user, never root.
    let expected_owner = if is_root() { postgres_uid() } else { nix::unistd::geteuid().as_raw() };
    assert_eq!(std::fs::metadata(&dir).unwrap().uid(), expected_owner);
    assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);

    // A second opener finds it running and does not start another.
    let again = Database::open(None, &dir, 2).await.unwrap();
    assert!(!again.started_cluster);
    again.close(false).await.unwrap();
    db.close(true).await.unwrap();
    assert!(!LocalCluster::new(&dir).unwrap().is_running());
}

#[tokio::test]
async fn many_processes_starting_at_once_share_one_cluster() {
    let tmp = scratch("race");
    let dir = tmp.join("pg");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.clone();
            std::thread::spawn(move || LocalCluster::new(&dir).unwrap().ensure_running().unwrap())
        })
        .collect();
    let started: Vec<bool> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(started.iter().filter(|s| **s).count(), 1, "{started:?}");
    LocalCluster::new(&dir).unwrap().stop().unwrap();
}

#[tokio::test]
async fn a_stale_postmaster_pid_after_a_crash_is_cleared() {
    let tmp = scratch("stale");
    let dir = tmp.join("pg");
    let cluster = LocalCluster::new(&dir).unwrap();
    cluster.ensure_running().unwrap();
    cluster.stop().unwrap();
    // A crash leaves postmaster.pid behind, naming a PID now used by another process: ours.
    let pid_file = dir.join("postmaster.pid");
    std::fs::write(
        &pid_file,
        format!("{}\n{}\n1700000000\n5432\n{}\n\n", std::process::id(), dir.display(), dir.display()),
    )
    .unwrap();
    if is_root() {
        std::os::unix::fs::chown(&pid_file, Some(postgres_uid()), None).unwrap();
    }
    assert!(!cluster.is_running());
    assert!(cluster.ensure_running().unwrap(), "the cluster should start despite the stale pid file");
    let db = Database::open(None, &dir, 1).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&db.pool).await.unwrap();
    assert_eq!(one, 1);
    db.close(true).await.unwrap();
}

#[tokio::test]
async fn a_long_data_dir_gets_a_short_socket() {
    let tmp = scratch("long");
    let dir = tmp.join("a-directory-name-long-enough-to-push-the-socket-path-past-the-kernel-limit-of-107-bytes/pg");
    let db = Database::open(None, &dir, 1).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&db.pool).await.unwrap();
    assert_eq!(one, 1);
    db.close(true).await.unwrap();
}

#[tokio::test]
async fn a_data_dir_the_server_user_cannot_reach_is_a_clear_error() {
    let private = scratch("private");
    std::fs::set_permissions(&*private, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let result = Database::open(None, &private.join("pg"), 1).await;
    if is_root() {
        // Root must run the server as `postgres`, which cannot enter a root-only directory.
        let err = result.err().expect("a private parent must be refused when root").to_string();
        assert!(err.contains("not reachable by the `postgres` user"), "{err}");
    } else {
        // A normal user runs the server as itself, so its own private directory is fine.
        result.unwrap().close(true).await.unwrap();
    }
}

/// A copy of the PostgreSQL installation whose share directory has no PostGIS.
fn server_without_postgis(root: &Path) -> PathBuf {
    let bin = cluster::find_bin_dir().unwrap();
    let major = cluster::server_major(&bin).unwrap();
    let lib = root.join(format!("usr/lib/postgresql/{major}"));
    std::fs::create_dir_all(lib.join("bin")).unwrap();
    for entry in std::fs::read_dir(&bin).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), lib.join("bin").join(entry.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(bin.parent().unwrap().join("lib"), lib.join("lib")).unwrap();
    let share = root.join(format!("usr/share/postgresql/{major}"));
    std::fs::create_dir_all(share.parent().unwrap()).unwrap();
    let status =
        Command::new("cp").arg("-a").arg(format!("/usr/share/postgresql/{major}")).arg(&share).status().unwrap();
    assert!(status.success());
    for entry in std::fs::read_dir(share.join("extension")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("postgis") {
            std::fs::remove_file(path).unwrap();
        }
    }
    lib.join("bin")
}

#[tokio::test]
async fn a_server_without_postgis_names_the_package_to_install() {
    let root = scratch("nopostgis");
    let bin = server_without_postgis(&root);
    let cluster = LocalCluster::new(&root.join("pg")).unwrap().with_bin_dir(bin);
    let err = Database::open_local(cluster.clone(), 1).await.err().expect("PostGIS is missing").to_string();
    assert!(err.contains("postgresql-15-postgis-3") && err.contains("apt-get install"), "{err}");
    // The cluster this call started is stopped again.
    assert!(!cluster.is_running());
}

struct Service {
    child: Child,
    url: String,
}

/// Starts `onemap serve` on `dir`; its log (at debug level) goes to `dir`'s sibling `serve.log`.
fn start_service(dir: &Path) -> Service {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.with_file_name("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_onemap"))
        .args(["--data-dir"])
        .arg(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Service { child, url: format!("http://127.0.0.1:{port}") }
}

async fn wait_healthy(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/health")).await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "onemap did not become healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn terminate(mut service: Service) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(service.child.id() as i32), nix::sys::signal::Signal::SIGTERM)
        .unwrap();
    let status = service.child.wait().unwrap();
    assert!(status.success(), "onemap exited with {status}");
}

#[tokio::test]
async fn the_service_keeps_its_data_across_a_restart_and_stops_its_cluster() {
    let tmp = scratch("restart");
    let dir = tmp.join("pg");
    let service = start_service(&dir);
    wait_healthy(&service.url).await;
    // An account and a token made with the command line, beside the running service.
    let cli = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_onemap"))
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "onemap {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["user", "add", "restart-planner", "--role", "planner", "--password-stdin"], "a Long password\n");
    let printed = cli(&["token", "create", "restart-planner", "--days", "1"], "");
    let token = printed.lines().last().unwrap().to_string();
    assert!(token.starts_with("om_"), "{printed}");
    let depot = common::feature(common::point(106.5, 29.5), json!({"name": "重启测试库", "tier": "city"}));
    let url = format!("{}/api/layers/depot", service.url);
    let (status, _, refused) = common::call_as(None, Method::POST, &url, Some(depot.clone())).await;
    assert_eq!(status, 401, "{refused}");
    let (status, _, created) = common::call_as(Some(&token), Method::POST, &url, Some(depot)).await;
    assert_eq!(status, 201, "{created}");
    terminate(service);
    // Graceful shutdown stopped the embedded cluster.
    assert!(!LocalCluster::new(&dir).unwrap().is_running());
    assert!(!dir.join("postmaster.pid").exists());

    let service = start_service(&dir);
    wait_healthy(&service.url).await;
    let (status, _, feature) = common::call_as(
        Some(&token),
        Method::GET,
        &format!("{}/api/layers/depot/{}", service.url, created["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(feature["properties"]["name"], "重启测试库");
    terminate(service);
    // Neither onemap's log nor PostgreSQL's holds the token or the password.
    let logs = [dir.with_file_name("serve.log"), dir.join("server.log")];
    for log in &logs {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(!text.is_empty(), "{} is empty", log.display());
        assert!(!text.contains(&token) && !text.contains(&token[3..]), "{} holds the token", log.display());
        assert!(!text.contains("a Long password"), "{} holds the password", log.display());
    }
}

#[tokio::test]
async fn the_service_adopts_a_cluster_left_running() {
    let tmp = scratch("adopt");
    let dir = tmp.join("pg");
    LocalCluster::new(&dir).unwrap().ensure_running().unwrap();
    let service = start_service(&dir);
    wait_healthy(&service.url).await;
    terminate(service);
    assert!(!LocalCluster::new(&dir).unwrap().is_running());
}

//! Monitoring (issue 24, part 6): ingest rates with quality checks, alarms and station states on
//! — bulk SensorThings posts over HTTP and HJ 212 packets over TCP — beside PostgreSQL's own
//! `COPY` of the same rows into a table of the same shape and indexes (the physical reference:
//! no checks, no triggers); and "the latest value and class of every station" at 1,000 stations
//! with a year of hourly data, from the maintained tables beside the scan they replace and
//! beside one index look-up per datastream.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, DurationRound, Utc};
use onemap::api::{self, AppState, ServerConfig};
use onemap::auth::{Actor, Role, accounts};
use onemap::db::{self, LocalCluster};
use onemap::random::Random;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Stations of the year-long set, one datastream each.
const STATIONS: usize = 1_000;
const HOURS_A_YEAR: i64 = 8_760;
/// Stations and pollutants of the ingest runs.
const INGEST_STATIONS: usize = 50;
const POLLUTANTS: [(&str, &str); 6] = [
    ("w01018", "mg/L"),
    ("w21003", "mg/L"),
    ("w21011", "mg/L"),
    ("w01009", "mg/L"),
    ("w01001", "无量纲"),
    ("w01010", "℃"),
];

async fn pool(cluster: &LocalCluster, name: &str) -> Result<PgPool> {
    db::ensure_database(cluster, name).await?;
    let pool = PgPoolOptions::new().max_connections(8).connect_with(cluster.connect_options(name)).await?;
    db::prepare(&pool).await?;
    onemap::write_reference_tables(&pool).await?;
    Ok(pool)
}

/// A station at a made-up place with one datastream per pollutant; its datastreams.
async fn station(pool: &PgPool, n: usize, pollutants: &[(&str, &str)]) -> Result<(i64, Vec<i64>)> {
    let mut random = Random(n as u64);
    let (lon, lat) = (105.5 + 4.5 * random.unit(), 28.3 + 3.8 * random.unit());
    let streams: Vec<Value> = pollutants
        .iter()
        .map(|(code, unit)| {
            json!({"name": format!("站{n} {code}"), "observationType": "OM_Measurement",
                   "unitOfMeasurement": {"name": unit, "symbol": unit},
                   "Sensor": {"name": "bench", "encodingType": "text/plain", "metadata": "bench"},
                   "ObservedProperty": {"name": code, "definition": code}})
        })
        .collect();
    let body = json!({"name": format!("基准站{n}"), "properties": {"target_class": "Ⅲ"},
        "Locations": [{"name": "l", "location": {"type": "Point", "coordinates": [lon, lat]}}], "Datastreams": streams});
    let mut tx = onemap::auth::begin_as(pool, &Actor::command_line()).await?;
    let mut written = onemap::sensing::write::Written::default();
    let thing =
        onemap::sensing::write::create(&mut tx, onemap::sensing::model::Set::Things, &body, None, &mut written).await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sta_datastream WHERE thing_id = $1 ORDER BY id")
        .bind(thing)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((thing, ids))
}

/// A plausible hourly value of pollutant `p` at hour `h`.
fn value(random: &mut Random, p: usize, h: i64) -> f64 {
    let usual = [13.0, 0.35, 0.1, 7.6, 7.8, 18.0][p % 6];
    let cycle = 0.05 * usual * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).cos();
    ((usual + cycle + 0.05 * usual * (random.unit() - 0.5)) * 1000.0).round() / 1000.0
}

pub async fn run(cluster: &LocalCluster) -> Result<()> {
    ingest(cluster).await?;
    latest(cluster).await
}

async fn ingest(cluster: &LocalCluster) -> Result<()> {
    let pool = pool(cluster, "bench_monitoring_ingest").await?;
    sqlx::query("TRUNCATE sta_thing, sta_sensor, sta_observed_property, sta_location, sta_feature_of_interest CASCADE")
        .execute(&pool)
        .await?;
    sqlx::query("DROP TABLE IF EXISTS copy_reference").execute(&pool).await?;
    sqlx::query("DELETE FROM app_user WHERE name = 'bench-planner'").execute(&pool).await?;
    let me = Actor::command_line();
    accounts::add_user(&pool, &me, "bench-planner", Role::Planner, None, "bench-planner-Password1", None).await?;
    let token = accounts::create_token(&pool, &me, "bench-planner", None, Some("bench")).await?.1;
    let mut stations = Vec::new();
    for n in 0..INGEST_STATIONS {
        stations.push(station(&pool, n, &POLLUTANTS).await?);
    }
    let config = ServerConfig::default();
    let state = AppState::start(pool.clone(), &config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(api::serve(listener, api::app(state, &config), std::future::pending()));

    // SensorThings: each post a day of hourly values of every datastream of 10 stations.
    let end = Utc::now().duration_trunc(Duration::hours(1))? - Duration::hours(1);
    let days = 6;
    let start = end - Duration::hours(24 * days);
    let client = reqwest::Client::new();
    let mut random = Random(7);
    let mut rows: Vec<(i64, DateTime<Utc>, f64)> = Vec::new();
    let t = Instant::now();
    let mut posted = 0;
    for day in 0..days {
        for group in stations.chunks(10) {
            let body: Vec<Value> = group
                .iter()
                .flat_map(|(_, streams)| streams.iter().enumerate().map(|(p, d)| (p, *d)).collect::<Vec<_>>())
                .map(|(p, d)| {
                    let data: Vec<Value> = (0..24)
                        .map(|h| {
                            let at = start + Duration::hours(day * 24 + h);
                            let v = value(&mut random, p, h);
                            rows.push((d, at, v));
                            json!([at.to_rfc3339(), v])
                        })
                        .collect();
                    json!({"Datastream": {"@iot.id": d}, "components": ["phenomenonTime", "result"], "dataArray": data})
                })
                .collect();
            let answer = client
                .post(format!("{base}/sta/v1.1/CreateObservations"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(answer.status() == 201, "CreateObservations: {}", answer.text().await?);
            posted += group.len() * POLLUTANTS.len() * 24;
        }
    }
    let sta_rate = posted as f64 / t.elapsed().as_secs_f64();

    // The same rows by COPY into a table of the same shape and indexes, without triggers.
    sqlx::query("CREATE TABLE copy_reference (LIKE sta_observation INCLUDING DEFAULTS INCLUDING INDEXES)")
        .execute(&pool)
        .await?;
    let mut text = String::with_capacity(rows.len() * 48);
    let feature: i64 = sqlx::query_scalar("SELECT min(id) FROM sta_feature_of_interest").fetch_one(&pool).await?;
    for (d, at, v) in &rows {
        text.push_str(&format!("{d}\t{feature}\t{}\t{v}\n", at.to_rfc3339()));
    }
    let t = Instant::now();
    let mut conn = pool.acquire().await?;
    let mut copy = conn
        .copy_in_raw("COPY copy_reference (datastream_id, feature_of_interest_id, phenomenon_time, result) FROM STDIN")
        .await?;
    copy.send(text.as_bytes()).await?;
    copy.finish().await?;
    let copy_rate = rows.len() as f64 / t.elapsed().as_secs_f64();
    drop(conn);

    // HJ 212: the next hours' values of every station, one packet a station an hour, from 10
    // connections at once, each waiting for its answer.
    let hj = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = hj.local_addr()?;
    let listener = tokio::spawn(onemap::sensing::hj212::listen(pool.clone(), hj));
    for (n, (thing, _)) in stations.iter().enumerate() {
        let register =
            onemap::sensing::hj212::station::Registration { mn: format!("BENCH{n:04}"), password: "123456".into() };
        onemap::sensing::hj212::station::register(&pool, &me, *thing, &register).await?;
    }
    let hours = 24;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..10usize {
        let mine: Vec<usize> = (0..INGEST_STATIONS).filter(|n| n % 10 == lane).collect();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(address).await?;
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let mut random = Random(lane as u64);
            let mut sent = 0usize;
            for h in 0..hours {
                let at = (end - Duration::hours(hours - 1 - h)).with_timezone(&onemap::time::cst());
                for n in &mine {
                    let cp: Vec<String> = POLLUTANTS
                        .iter()
                        .enumerate()
                        .map(|(p, (code, _))| format!("{code}-Avg={},{code}-Flag=N", value(&mut random, p, h)))
                        .collect();
                    let segment = format!(
                        "QN={}001;ST=21;CN=2061;PW=123456;MN=BENCH{n:04};Flag=5;CP=&&DataTime={};{}&&",
                        at.format("%Y%m%d%H%M%S"),
                        at.format("%Y%m%d%H%M%S"),
                        cp.join(";")
                    );
                    write.write_all(onemap::sensing::hj212::frame::frame(&segment).as_bytes()).await?;
                    let mut line = String::new();
                    reader.read_line(&mut line).await?;
                    anyhow::ensure!(line.contains("CN=9014"), "no answer: {line}");
                    sent += POLLUTANTS.len();
                }
            }
            anyhow::Ok(sent)
        }));
    }
    let mut sent = 0;
    for task in tasks {
        sent += task.await??;
    }
    let hj_rate = sent as f64 / t.elapsed().as_secs_f64();
    listener.abort();
    server.abort();
    println!(
        "\nmonitoring ingest: observations a second with quality checks, alarms and station states on ({INGEST_STATIONS} stations × 6 pollutants)"
    );
    println!(
        "  SensorThings CreateObservations  {sta_rate:>9.0} /s   COPY (no checks, no triggers) {copy_rate:>9.0} /s   ratio {:.3}",
        sta_rate / copy_rate
    );
    println!(
        "  HJ 212, 10 connections, answered {hj_rate:>9.0} /s   COPY                           {copy_rate:>9.0} /s   ratio {:.3}",
        hj_rate / copy_rate
    );
    Ok(())
}

async fn latest(cluster: &LocalCluster) -> Result<()> {
    let pool = pool(cluster, "bench_monitoring_year").await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM sta_observation").fetch_one(&pool).await?;
    let want = STATIONS as i64 * HOURS_A_YEAR;
    if have != want {
        sqlx::query(
            "TRUNCATE sta_thing, sta_sensor, sta_observed_property, sta_location, sta_feature_of_interest CASCADE",
        )
        .execute(&pool)
        .await?;
        let t = Instant::now();
        let mut streams = Vec::new();
        for n in 0..STATIONS {
            streams.push(station(&pool, n, &POLLUTANTS[..1]).await?);
        }
        let end = Utc::now().duration_trunc(Duration::hours(1))?;
        let start = end - Duration::hours(HOURS_A_YEAR);
        let feature: i64 =
            sqlx::query_scalar("SELECT min(id) FROM sta_feature_of_interest").fetch_one(&pool).await.unwrap_or(0);
        let feature = if feature > 0 {
            feature
        } else {
            sqlx::query_scalar(
                "INSERT INTO sta_feature_of_interest (name, geom) VALUES ('bench', ST_SetSRID(ST_MakePoint(106.5, 29.5), 4326)) RETURNING id",
            )
            .fetch_one(&pool)
            .await?
        };
        let mut random = Random(2026);
        let mut conn = pool.acquire().await?;
        for chunk in streams.chunks(100) {
            let mut text = String::with_capacity(100 * HOURS_A_YEAR as usize * 48);
            for (_, ids) in chunk {
                for h in 0..HOURS_A_YEAR {
                    let at = start + Duration::hours(h);
                    text.push_str(&format!(
                        "{}\t{feature}\t{}\t{}\n",
                        ids[0],
                        at.to_rfc3339(),
                        value(&mut random, 0, h)
                    ));
                }
            }
            let mut copy = conn
                .copy_in_raw(
                    "COPY sta_observation (datastream_id, feature_of_interest_id, phenomenon_time, result) FROM STDIN",
                )
                .await?;
            copy.send(text.as_bytes()).await?;
            copy.finish().await?;
        }
        drop(conn);
        let things: Vec<i64> = streams.iter().map(|s| s.0).collect();
        let mut tx = pool.begin().await?;
        onemap::sensing::state::refresh(&mut tx, &things).await?;
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        println!("\n(made {want} observations of {STATIONS} stations in {:.0} s)", t.elapsed().as_secs_f64());
    }
    let best = async |sql: &str| -> Result<(f64, i64)> {
        let mut best = f64::INFINITY;
        let mut rows = 0;
        for _ in 0..5 {
            let t = Instant::now();
            rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.context("query")?.len() as i64;
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok((best, rows))
    };
    let (ours, n) = best(
        "SELECT s.id, s.name, s.class, s.aqi, l.result, l.phenomenon_time FROM stations s \
                          JOIN sta_datastream d ON d.thing_id = s.id JOIN sta_latest l ON l.datastream_id = d.id",
    )
    .await?;
    let (scan, m) = best(
        "SELECT DISTINCT ON (datastream_id) datastream_id, result, phenomenon_time FROM sta_observation \
                          ORDER BY datastream_id, phenomenon_time DESC",
    )
    .await?;
    let (lookups, k) = best(
        "SELECT d.id, o.result, o.phenomenon_time FROM sta_datastream d CROSS JOIN LATERAL \
                             (SELECT result, phenomenon_time FROM sta_observation x WHERE x.datastream_id = d.id \
                              ORDER BY phenomenon_time DESC LIMIT 1) o",
    )
    .await?;
    anyhow::ensure!(n == STATIONS as i64 && m == n && k == n, "{n} {m} {k} rows");
    println!(
        "\nlatest value and class of every station: {STATIONS} stations, a year hourly ({:.2}M observations), best of 5",
        want as f64 / 1e6
    );
    println!("  maintained tables {ours:>8.1} ms   scan (DISTINCT ON) {scan:>8.1} ms   ratio {:.4}", ours / scan);
    println!(
        "  maintained tables {ours:>8.1} ms   an index look-up a datastream {lookups:>8.1} ms   ratio {:.2}",
        ours / lookups
    );
    Ok(())
}

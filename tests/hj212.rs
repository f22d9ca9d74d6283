//! HJ 212-2017 over TCP (issue 24, part 2): packets built here by a second implementation of the
//! framing and of the CRC (a table, where onemap shifts bits), checked first against the
//! standard's own example packet; a registered station's data stored as observations and
//! answered; bad CRCs, lengths, MNs, passwords, values and commands refused, counted, and the
//! connection going on.

mod common;

use common::ask;
use common::testing::TestServer;
use onemap::auth::Role;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The CRC by a table of the eight shifts of every byte value: the standard's loop keeps none
/// of the register's low byte, so each step is one look-up.
fn crc(bytes: &[u8]) -> u16 {
    let table: Vec<u16> =
        (0..256u16).map(|i| (0..8).fold(i, |r, _| if r & 1 == 1 { (r >> 1) ^ 0xA001 } else { r >> 1 })).collect();
    bytes.iter().fold(0xFFFF_u16, |r, b| table[usize::from((r >> 8) as u8 ^ b)])
}

fn packet(segment: &str) -> String {
    format!("##{:04}{segment}{:04X}\r\n", segment.len(), crc(segment.as_bytes()))
}

#[test]
fn the_second_crc_agrees_with_the_standards_examples() {
    let example =
        "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
    assert_eq!(packet(example), format!("##0101{example}1C80\r\n"));
    // A second published check value (a noise station's real-time data).
    let noise = "QN=20160801085857223;ST=23;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857; LA-Rtd=50.1&&";
    assert_eq!(crc(noise.as_bytes()), 0x1E00);
    for text in [example, noise, "", "##", "QN=1;ST=21"] {
        assert_eq!(crc(text.as_bytes()), onemap::sensing::hj212::frame::crc16(text.as_bytes()), "{text:?}");
    }
}

/// An observation as stored: datastream (code/command), result, start and end (UTC), quality, parameters.
type Stored = (String, f64, String, Option<String>, Option<serde_json::Value>, Option<serde_json::Value>);

async fn answer(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut line = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), reader.read_line(&mut line)).await.unwrap().unwrap();
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_sends_data_and_bad_packets_are_refused_without_stopping() {
    let server = TestServer::start().await.unwrap();
    let admin = server.admin_token.clone();
    let pool = server.pool.clone();
    let (status, thing) = ask(
        &server,
        &admin,
        Method::POST,
        "/sta/v1.1/Things",
        Some(json!({"name": "北碚断面", "Locations": [{"name": "北碚", "location": {"type": "Point", "coordinates": [106.43, 29.82]}}]})),
    )
    .await;
    assert_eq!(status, 201, "{thing}");
    let id = thing["@iot.id"].as_i64().unwrap();
    let register = |mn: &str, password: &str| json!({"mn": mn, "password": password});
    let (status, _) =
        ask(&server, &admin, Method::PUT, &format!("/api/stations/{id}/hj212"), Some(register("MN0001", "123456")))
            .await;
    assert_eq!(status, 204);
    // Registration refusals.
    let viewer = server.token("hj-viewer", Role::Viewer, None).await.unwrap();
    for (token, path, body, expected) in [
        (&viewer, format!("/api/stations/{id}/hj212"), register("MN0002", "1"), 403),
        (&admin, "/api/stations/999999/hj212".to_string(), register("MN0002", "1"), 404),
        (&admin, format!("/api/stations/{id}/hj212"), register("MN 0002;", "1"), 422),
        (&admin, format!("/api/stations/{id}/hj212"), register("MN0002", ""), 422),
    ] {
        let (status, answer) = ask(&server, token, Method::PUT, &path, Some(body)).await;
        assert_eq!(status, expected, "{path}: {answer}");
    }
    let stored: (String, Vec<u8>) = sqlx::query_as("SELECT mn, password_hash FROM hj212_station WHERE thing_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.0, "MN0001");
    assert!(!String::from_utf8_lossy(&stored.1).contains("123456"), "the password is kept in clear");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(onemap::sensing::hj212::listen(pool.clone(), listener));
    let (read, mut write) = TcpStream::connect(address).await.unwrap().into_split();
    let mut reader = BufReader::new(read);

    let hour = "20261101080000"; // Beijing time: 00:00 UTC.
    let hourly = format!(
        "QN=20261101090000001;ST=21;CN=2061;PW=123456;MN=MN0001;Flag=5;CP=&&DataTime={hour};\
         w01018-Avg=25.3,w01018-Flag=N;w21003-Min=1.0,w21003-Avg=1.2,w21003-Max=1.5,w21003-Flag=N;x99999-Avg=3&&"
    );
    write.write_all(packet(&hourly).as_bytes()).await.unwrap();
    let got = answer(&mut reader).await;
    let segment = "QN=20261101090000001;ST=91;CN=9014;PW=123456;MN=MN0001;Flag=4;CP=&&&&";
    assert_eq!(got, packet(segment), "the data answer");
    // The same packet again (a station that missed the answer): answered, nothing added.
    write.write_all(packet(&hourly).as_bytes()).await.unwrap();
    assert_eq!(answer(&mut reader).await, packet(segment));

    // Bad packets, each refused with no answer; the connection goes on.
    let good = |qn: &str, pw: &str, mn: &str, cp: &str| {
        format!("QN={qn};ST=21;CN=2011;PW={pw};MN={mn};Flag=5;CP=&&DataTime=20261101081500;{cp}&&")
    };
    let mut bad_crc = packet(&good("2", "123456", "MN0001", "w01018-Rtd=99"));
    bad_crc.replace_range(bad_crc.len() - 6..bad_crc.len() - 2, "0000");
    let bad_length = packet(&good("3", "123456", "MN0001", "w01018-Rtd=99")).replacen("##0", "##1", 1);
    let future =
        (chrono::Utc::now() + chrono::Duration::hours(3)).with_timezone(&onemap::time::cst()).format("%Y%m%d%H%M%S");
    let bad: Vec<String> = vec![
        bad_crc,
        bad_length,
        packet(&good("4", "123456", "NOBODY", "w01018-Rtd=99")),
        packet(&good("5", "654321", "MN0001", "w01018-Rtd=99")),
        packet(&good("6", "123456", "MN0001", "w01018-Rtd=abc")),
        packet(&format!("QN=7;ST=21;CN=2011;PW=123456;MN=MN0001;Flag=5;CP=&&DataTime={future};w01018-Rtd=9&&")),
        packet("QN=8;ST=32;CN=1062;PW=123456;MN=MN0001;Flag=5;CP=&&RtdInterval=30&&"),
        "no packet at all\r\n".to_string(),
        format!("##0040{}\r\n", "x".repeat(12_000)),
    ];
    for p in &bad {
        write.write_all(p.as_bytes()).await.unwrap();
    }
    let realtime = good("20261101081500009", "123456", "MN0001", "w01018-Rtd=26.0,w01018-Flag=N;a34004-Rtd=35");
    write.write_all(packet(&realtime).as_bytes()).await.unwrap();
    let got = answer(&mut reader).await;
    assert_eq!(got, packet("QN=20261101081500009;ST=91;CN=9014;PW=123456;MN=MN0001;Flag=4;CP=&&&&"), "the next answer");

    // What was stored.
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT p.definition || '/' || (d.properties->'hj212'->>'cn'), o.result, \
                to_char(o.phenomenon_time AT TIME ZONE 'UTC', 'HH24:MI'), to_char(o.phenomenon_time_end AT TIME ZONE 'UTC', 'HH24:MI'), \
                o.result_quality, o.parameters \
           FROM sta_observation o JOIN sta_datastream d ON d.id = o.datastream_id \
           JOIN sta_observed_property p ON p.id = d.observed_property_id ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let flag = Some(json!({"hj212_flag": "N"}));
    assert_eq!(
        rows,
        vec![
            ("a34004/2011".into(), 35.0, "00:15".into(), None, None, None),
            ("w01018/2011".into(), 26.0, "00:15".into(), None, flag.clone(), None),
            ("w01018/2061".into(), 25.3, "00:00".into(), Some("01:00".into()), flag.clone(), None),
            (
                "w21003/2061".into(),
                1.2,
                "00:00".into(),
                Some("01:00".into()),
                flag,
                Some(json!({"min": 1.0, "max": 1.5}))
            ),
        ]
    );
    let units: Vec<String> =
        sqlx::query_scalar("SELECT unit_of_measurement->>'symbol' FROM sta_datastream WHERE thing_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(units, ["mg/L", "mg/L", "mg/L", "μg/m³"]);

    // Counted: each refusal by its reason.
    let (packets, observations, unknown) = onemap::sensing::hj212::counts();
    let of = |o: &str| packets.iter().find(|(k, _)| *k == o).unwrap().1;
    assert_eq!(
        ["accepted", "bad_crc", "bad_length", "unknown_mn", "bad_password", "malformed", "unsupported", "failed"]
            .map(of),
        [3, 1, 3, 1, 1, 2, 1, 0]
    );
    // x99999 was sent twice.
    assert_eq!((observations, unknown), (4, 2));
    let (_, _, metrics) = common::call_as(Some(&admin), Method::GET, &server.at("/metrics"), None).await;
    assert!(metrics.as_str().unwrap().contains("onemap_hj212_packets_total{outcome=\"bad_crc\"} 1"), "{metrics}");
}

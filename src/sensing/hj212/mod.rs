//! HJ 212-2017, the protocol China's online monitoring stations speak, over TCP
//! (`onemap serve --hj212 ADDR:PORT`): packets framed and checked ([`frame`]), their pollutant
//! codes read from the standard's table ([`codes`]) and stored as SensorThings observations
//! ([`ingest`]). A bad packet is counted and answered with nothing; the connection and the
//! listener go on.

pub mod codes;
pub mod frame;
pub mod ingest;
pub mod station;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1_000;
/// How long a connection may stay silent before it is closed (stations send at least hourly).
pub const IDLE: Duration = Duration::from_secs(2 * 3600);
/// Most bytes of one packet: `##`, four digits, the longest segment, CRC, `\r\n`.
const MAX_PACKET: usize = 2 + 4 + frame::MAX_SEGMENT + 4 + 2;

/// What the listener did, by outcome (the metrics' `onemap_hj212_packets`).
pub const OUTCOMES: [&str; 8] =
    ["accepted", "bad_crc", "bad_length", "malformed", "unknown_mn", "bad_password", "unsupported", "failed"];

static COUNTS: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
static OBSERVATIONS: AtomicU64 = AtomicU64::new(0);
static UNKNOWN_CODES: AtomicU64 = AtomicU64::new(0);

fn count(outcome: &str) {
    let i = OUTCOMES.iter().position(|o| *o == outcome).expect("an outcome of the list");
    COUNTS[i].fetch_add(1, Ordering::Relaxed);
}

/// Packets by outcome, observations stored and values of unknown codes, since the start.
pub fn counts() -> (Vec<(&'static str, u64)>, u64, u64) {
    let packets = OUTCOMES.iter().zip(&COUNTS).map(|(o, c)| (*o, c.load(Ordering::Relaxed))).collect();
    (packets, OBSERVATIONS.load(Ordering::Relaxed), UNKNOWN_CODES.load(Ordering::Relaxed))
}

/// Takes one packet's bytes; the answer to send back, if any.
pub async fn packet(pool: &PgPool, bytes: &[u8]) -> Option<String> {
    let parsed = match frame::parse(bytes) {
        Ok(p) => p,
        Err(fault) => {
            tracing::info!(%fault, "HJ 212 packet refused");
            count(fault.label());
            return None;
        }
    };
    match ingest::take(pool, &parsed).await {
        Ok(Ok(taken)) => {
            count("accepted");
            OBSERVATIONS.fetch_add(taken.observations as u64, Ordering::Relaxed);
            UNKNOWN_CODES.fetch_add(taken.unknown_codes as u64, Ordering::Relaxed);
            parsed.wants_answer().then(|| frame::answer(&parsed))
        }
        Ok(Err(refused)) => {
            tracing::info!(mn = parsed.mn, ?refused, "HJ 212 packet refused");
            count(refused.label());
            None
        }
        Err(e) => {
            tracing::warn!(mn = parsed.mn, error = %e, "HJ 212 packet not stored");
            count("failed");
            None
        }
    }
}

/// Serves one connection: packets end at `\r\n`; a run of bytes longer than a packet can be
/// without one is dropped (counted) and reading goes on after the next `\r\n`.
async fn connection(pool: PgPool, mut stream: TcpStream) {
    let mut buffer: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut overlong = false;
    loop {
        let read = match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        buffer.extend_from_slice(&chunk[..read]);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = buffer.drain(..end + 2).collect();
            if std::mem::take(&mut overlong) {
                continue;
            }
            // Bytes before a packet's `##` (noise on a serial line) are not part of it.
            let start = line.windows(2).position(|w| w == b"##").unwrap_or(0);
            if let Some(answer) = packet(&pool, &line[start..]).await
                && stream.write_all(answer.as_bytes()).await.is_err()
            {
                return;
            }
        }
        if buffer.len() > MAX_PACKET {
            count("bad_length");
            buffer.clear();
            overlong = true;
        }
    }
}

/// Accepts stations on `listener` until the process ends.
pub async fn listen(pool: PgPool, listener: TcpListener) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors, most likely: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "HJ 212: too many connections; this one is closed");
            continue;
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            connection(pool, stream).await;
            drop(slot);
        });
    }
}

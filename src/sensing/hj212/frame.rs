//! The framing of HJ 212-2017 (污染物在线监控（监测）系统数据传输标准), §6: a packet is `##`,
//! the data segment's length in four decimal digits, the data segment
//! (`QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&`), its CRC-16 in four hexadecimal digits, and
//! `\r\n`. Everything here is a pure function of the bytes.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Longest data segment read (the length field has four digits).
pub const MAX_SEGMENT: usize = 9999;

/// The CRC of HJ 212-2017 Appendix A over `bytes`: register 0xFFFF; for each byte, the
/// register's high byte XOR the byte, then eight shifts right with 0xA001 folded in when a one
/// falls out.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut register: u16 = 0xFFFF;
    for b in bytes {
        register = (register >> 8) ^ u16::from(*b);
        for _ in 0..8 {
            let out = register & 1;
            register >>= 1;
            if out == 1 {
                register ^= 0xA001;
            }
        }
    }
    register
}

/// Why a packet is refused (each counted in the metrics by its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not `##`, not four digits, no `\r\n` where the length says.
    Framing(String),
    /// The CRC does not match the data segment.
    Crc {
        /// What the packet says.
        given: String,
        /// What the segment gives.
        computed: u16,
    },
    /// The data segment is not `KEY=value;…;CP=&&…&&`, or lacks a field.
    Malformed(String),
}

impl Fault {
    /// Its name in the metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Fault::Framing(_) => "bad_length",
            Fault::Crc { .. } => "bad_crc",
            Fault::Malformed(_) => "malformed",
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Framing(s) | Fault::Malformed(s) => f.write_str(s),
            Fault::Crc { given, computed } => write!(f, "CRC {given} given, {computed:04X} computed"),
        }
    }
}

/// A data segment read.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// Request number (a timestamp to the millisecond), echoed in the answer.
    pub qn: Option<String>,
    /// System code (21 surface water, 22 air …).
    pub st: String,
    /// Command code (2011 real-time data, 2051 minute, 2061 hour, 2031 day …).
    pub cn: String,
    /// The station's access password.
    pub pw: String,
    /// The station's unique code.
    pub mn: String,
    /// Flag bits: bit 0 asks for an answer, bit 1 says the packet is one of several.
    pub flag: u32,
    /// The `CP` fields in order: (`w01018-Rtd`, `25.3`), (`DataTime`, `20260801085857`) …
    pub fields: Vec<(String, String)>,
}

impl Packet {
    /// Whether the station asks for an answer.
    pub fn wants_answer(&self) -> bool {
        self.flag & 1 == 1
    }

    /// `DataTime`, in Beijing time as the standard writes it (`YYYYMMDDhhmmss`).
    pub fn data_time(&self) -> Option<DateTime<Utc>> {
        let text = self.fields.iter().find(|(k, _)| k == "DataTime")?.1.as_str();
        let naive = NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S").ok()?;
        naive.and_local_timezone(crate::time::cst()).single().map(|t| t.to_utc())
    }
}

/// Reads one packet (with its `\r\n`).
pub fn parse(bytes: &[u8]) -> Result<Packet, Fault> {
    let framing = |s: &str| Fault::Framing(s.to_string());
    let rest = bytes.strip_prefix(b"##").ok_or_else(|| framing("a packet starts with ##"))?;
    let digits = rest.get(..4).ok_or_else(|| framing("the packet ends before its length"))?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(framing("the length is four decimal digits"));
    }
    let length: usize = std::str::from_utf8(digits).expect("digits").parse().expect("digits");
    let segment = rest.get(4..4 + length).ok_or_else(|| framing("the packet is shorter than its length says"))?;
    let tail = &rest[4 + length..];
    if tail.len() != 6 || &tail[4..] != b"\r\n" {
        return Err(framing("the length does not end the data segment where a CRC and \\r\\n follow"));
    }
    let given = std::str::from_utf8(&tail[..4]).map_err(|_| framing("the CRC is four hexadecimal digits"))?;
    let computed = crc16(segment);
    if u16::from_str_radix(given, 16).ok() != Some(computed) {
        return Err(Fault::Crc { given: given.to_string(), computed });
    }
    let text = std::str::from_utf8(segment).map_err(|_| Fault::Malformed("the data segment is not text".into()))?;
    segment_fields(text)
}

/// Reads a data segment's fields.
pub fn segment_fields(text: &str) -> Result<Packet, Fault> {
    let bad = |s: String| Fault::Malformed(s);
    let (head, cp) = text.split_once("CP=&&").ok_or_else(|| bad("the data segment has no CP=&&…&&".into()))?;
    let cp = cp.strip_suffix("&&").ok_or_else(|| bad("CP does not end with &&".into()))?;
    let mut get = std::collections::HashMap::new();
    for pair in head.split(';').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| bad(format!("`{pair}` is not KEY=value")))?;
        get.insert(k.trim(), v.trim());
    }
    let need = |k: &str| get.get(k).map(|v| v.to_string()).ok_or_else(|| bad(format!("the data segment has no {k}")));
    let flag = match get.get("Flag") {
        Some(f) => f.parse().map_err(|_| bad(format!("Flag `{f}` is not a number")))?,
        None => 0,
    };
    let mut fields = Vec::new();
    // Fields are separated by `;` (between groups) and `,` (within one pollutant's group).
    for pair in cp.split([';', ',']).filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| bad(format!("CP field `{pair}` is not KEY=value")))?;
        fields.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Packet {
        qn: get.get("QN").map(|s| s.to_string()),
        st: need("ST")?,
        cn: need("CN")?,
        pw: need("PW")?,
        mn: need("MN")?,
        flag,
        fields,
    })
}

/// A whole packet around `segment`.
pub fn frame(segment: &str) -> String {
    format!("##{:04}{segment}{:04X}\r\n", segment.len(), crc16(segment.as_bytes()))
}

/// The data answer (CN 9014, §6.6) to `packet`: its QN echoed, system 91 (system interaction).
pub fn answer(packet: &Packet) -> String {
    let qn = packet.qn.as_deref().unwrap_or("");
    frame(&format!("QN={qn};ST=91;CN=9014;PW={};MN={};Flag=4;CP=&&&&", packet.pw, packet.mn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_packet_reads_and_its_crc_agrees() {
        let packet = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
        let p = parse(packet).unwrap();
        assert_eq!((p.st.as_str(), p.cn.as_str(), p.pw.as_str()), ("32", "1062", "100000"));
        assert_eq!(p.mn, "010000A8900016F000169DC0");
        assert!(p.wants_answer());
        assert_eq!(p.fields, [("RtdInterval".to_string(), "30".to_string())]);
        assert_eq!(
            frame(
                "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
            )
            .as_bytes(),
            packet
        );
    }

    #[test]
    fn bad_packets_say_what_is_wrong() {
        let good = frame(
            "QN=1;ST=21;CN=2011;PW=123456;MN=A1;Flag=5;CP=&&DataTime=20261207080000;w01018-Rtd=25.1,w01018-Flag=N&&",
        );
        assert!(parse(good.as_bytes()).is_ok());
        let crc = good.replace(&good[good.len() - 6..good.len() - 2], "0000");
        assert_eq!(parse(crc.as_bytes()).unwrap_err().label(), "bad_crc");
        let length = good.replacen("##0", "##1", 1);
        assert_eq!(parse(length.as_bytes()).unwrap_err().label(), "bad_length");
        assert_eq!(parse(b"#0010").unwrap_err().label(), "bad_length");
        assert_eq!(parse(frame("QN=1;ST=21;CN=2011;PW=1;MN=A1;CP=&&x&&").as_bytes()).unwrap_err().label(), "malformed");
        assert_eq!(parse(frame("QN=1;ST=21;CN=2011;PW=1;Flag=5;CP=&&&&").as_bytes()).unwrap_err().label(), "malformed");
        assert_eq!(
            parse(frame("QN=1;ST=21;CN=2011;PW=1;MN=A;Flag=x;CP=&&&&").as_bytes()).unwrap_err().label(),
            "malformed"
        );
    }

    #[test]
    fn data_time_is_beijing_time() {
        let p = segment_fields("ST=21;CN=2061;PW=1;MN=A;CP=&&DataTime=20261207080000;w01018-Avg=12&&").unwrap();
        assert_eq!(p.data_time().unwrap().to_rfc3339(), "2026-12-07T00:00:00+00:00");
    }
}

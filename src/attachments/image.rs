//! What a photo really is: the JPEG or PNG structure walked (not trusted from the name or the
//! declared type), its size in pixels, and its metadata removed on request — EXIF (with the
//! camera's GPS position), XMP and IPTC in a JPEG; text, EXIF and time chunks in a PNG. The
//! pixels are never decoded or changed; a JPEG keeps its EXIF orientation alone, in an EXIF of
//! one tag, so that a portrait photo does not turn on its side.

/// The formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (JFIF or EXIF), what phone cameras write.
    Jpeg,
    /// PNG, what screenshots are.
    Png,
}

impl Format {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The format of a declared media type, if accepted.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// A photo whose structure was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    /// Its format, from its bytes.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 20_000;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Checks that `bytes` are a whole JPEG or PNG; says what is wrong otherwise.
pub fn inspect(bytes: &[u8]) -> Result<Image, String> {
    let image = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes, None)?
    } else if bytes.starts_with(PNG_SIGNATURE) {
        png(bytes, None)?
    } else {
        return Err("the file is neither a JPEG nor a PNG image (its first bytes say so)".into());
    };
    if image.width == 0 || image.height == 0 || image.width > MAX_SIDE || image.height > MAX_SIDE {
        return Err(format!("the image is {}×{} pixels; each side must be 1–{MAX_SIDE}", image.width, image.height));
    }
    Ok(image)
}

/// The same image without its metadata (the bytes must have passed [`inspect`]).
pub fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(bytes.len());
    if bytes.starts_with(PNG_SIGNATURE) {
        png(bytes, Some(&mut out))?;
    } else {
        jpeg(bytes, Some(&mut out))?;
    }
    Ok(out)
}

fn be16(b: &[u8], at: usize) -> u32 {
    u32::from(b[at]) << 8 | u32::from(b[at + 1])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// JPEG markers whose segment is metadata: APP1 (EXIF, XMP), APP12, APP13 (IPTC), comments.
fn jpeg_metadata(marker: u8) -> bool {
    matches!(marker, 0xE1 | 0xEC | 0xED | 0xFE)
}

/// Walks the JPEG's segments up to the scan; copies all but the metadata into `out` if given.
fn jpeg(b: &[u8], mut out: Option<&mut Vec<u8>>) -> Result<Image, String> {
    let truncated = || "the JPEG ends before its image data: the file is cut short or not a JPEG".to_string();
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err("not a JPEG (it does not start with FF D8)".into());
    }
    let mut at = 2;
    let mut size = None;
    if let Some(out) = out.as_deref_mut() {
        out.extend_from_slice(&b[..2]);
    }
    loop {
        if at + 4 > b.len() {
            return Err(truncated());
        }
        if b[at] != 0xFF {
            return Err(format!("the JPEG is damaged: no marker at byte {at}"));
        }
        let marker = b[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xD9 || marker == 0xD8 || (0xD0..=0xD7).contains(&marker) {
            return Err(format!("the JPEG is damaged: unexpected marker FF{marker:02X} before its image data"));
        }
        let length = be16(b, at + 2) as usize;
        if length < 2 || at + 2 + length > b.len() {
            return Err(truncated());
        }
        let segment = &b[at..at + 2 + length];
        let start_of_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if start_of_frame {
            if length < 8 {
                return Err("the JPEG's frame header is too short".into());
            }
            size = Some((be16(b, at + 7), be16(b, at + 5)));
        }
        if marker == 0xDA {
            let Some((width, height)) = size else {
                return Err("the JPEG has image data but no frame header (no size)".into());
            };
            // The entropy-coded data runs to the end-of-image marker.
            if !b[at + 2 + length..].windows(2).any(|w| w == [0xFF, 0xD9]) {
                return Err(truncated());
            }
            if let Some(out) = out {
                out.extend_from_slice(&b[at..]);
            }
            return Ok(Image { format: Format::Jpeg, width, height });
        }
        if let Some(out) = out.as_deref_mut() {
            if !jpeg_metadata(marker) {
                out.extend_from_slice(segment);
            } else if let Some(orientation) = exif_orientation(&segment[4..]).filter(|o| *o != 1) {
                out.extend_from_slice(&orientation_only(orientation));
            }
        }
        at += 2 + length;
    }
}

/// The orientation tag (1–8) of an APP1 payload that is EXIF, if it has one.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2)
            .map(|b| if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    (0..entries.min(512)).map(|i| ifd + 2 + 12 * i).find(|at| u16_at(*at) == Some(0x0112)).and_then(|at| {
        let (kind, count, value) = (u16_at(at + 2)?, u32_at(at + 4)?, u16_at(at + 8)?);
        (kind == 3 && count == 1 && (1..=8).contains(&value)).then_some(value)
    })
}

/// An APP1 segment holding an EXIF of one tag: the orientation.
fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    payload.extend(orientation.to_be_bytes());
    payload.extend([0, 0, 0, 0, 0, 0]); // the value's padding, then no next IFD
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((payload.len() + 2) as u16).to_be_bytes());
    segment.extend(payload);
    segment
}

/// PNG chunks that are metadata: text, EXIF, the time of the last change.
fn png_metadata(kind: &[u8]) -> bool {
    matches!(kind, b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME")
}

/// Walks the PNG's chunks (each checked against its CRC) to IEND; copies all but the metadata
/// into `out` if given.
fn png(b: &[u8], mut out: Option<&mut Vec<u8>>) -> Result<Image, String> {
    let mut at = PNG_SIGNATURE.len();
    let mut size = None;
    let mut data = false;
    if let Some(out) = out.as_deref_mut() {
        out.extend_from_slice(PNG_SIGNATURE);
    }
    loop {
        if at + 12 > b.len() {
            return Err("the PNG ends before its IEND chunk: the file is cut short".into());
        }
        let length = be32(b, at) as usize;
        let Some(end) = (at + 12).checked_add(length).filter(|end| *end <= b.len()) else {
            return Err("the PNG ends inside a chunk: the file is cut short".into());
        };
        let kind = &b[at + 4..at + 8];
        let mut crc = flate2::Crc::new();
        crc.update(&b[at + 4..end - 4]);
        if crc.sum() != be32(b, end - 4) {
            return Err(format!("the PNG is damaged: chunk {} fails its CRC", String::from_utf8_lossy(kind)));
        }
        match kind {
            b"IHDR" if length == 13 => size = Some((be32(b, at + 8), be32(b, at + 12))),
            b"IHDR" => return Err("the PNG's header chunk has the wrong length".into()),
            _ if size.is_none() => return Err("the PNG does not start with its header chunk".into()),
            b"IDAT" => data = true,
            _ => {}
        }
        if let Some(out) = out.as_deref_mut().filter(|_| !png_metadata(kind)) {
            out.extend_from_slice(&b[at..end]);
        }
        if kind == b"IEND" {
            let (width, height) = size.unwrap_or_default();
            if !data {
                return Err("the PNG has no image data".into());
            }
            return Ok(Image { format: Format::Png, width, height });
        }
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG's skeleton: SOI, APP0, an APP1 EXIF, SOF0 of 640×480, SOS, data, EOI.
    fn jpeg_bytes() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0x00]);
        b.extend([0xFF, 0xE1, 0x00, 0x08, b'E', b'x', b'i', b'f', 0x00, 0x00]);
        b.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x01, 0x01, 0x11, 0x00]);
        b.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0x00, 0x56]);
        b.extend([0xFF, 0xD9]);
        b
    }

    #[test]
    fn a_jpeg_is_measured_and_loses_only_its_exif() {
        let b = jpeg_bytes();
        assert_eq!(inspect(&b), Ok(Image { format: Format::Jpeg, width: 640, height: 480 }));
        let stripped = strip_metadata(&b).unwrap();
        assert_eq!(stripped.len(), b.len() - 10);
        assert!(!stripped.windows(4).any(|w| w == b"Exif"));
        assert!(stripped.windows(4).any(|w| w == b"JFIF"));
        assert_eq!(inspect(&stripped).unwrap().width, 640);
    }

    #[test]
    fn stripping_keeps_the_orientation_alone() {
        // An EXIF (little-endian) with two tags: Make, then Orientation 6 (rotate 90° clockwise).
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x02\0".to_vec();
        exif.extend([0x0F, 0x01, 0x02, 0x00, 0x04, 0, 0, 0, b'c', b'a', b'm', 0]);
        exif.extend([0x12, 0x01, 0x03, 0x00, 0x01, 0, 0, 0, 0x06, 0, 0, 0]);
        exif.extend([0, 0, 0, 0]);
        assert_eq!(exif_orientation(&exif), Some(6));
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1];
        b.extend(((exif.len() + 2) as u16).to_be_bytes());
        b.extend(&exif);
        b.extend(&jpeg_bytes()[2..]);
        let stripped = strip_metadata(&b).unwrap();
        assert!(!stripped.windows(3).any(|w| w == b"cam"), "the Make is gone");
        let app1 = stripped.windows(6).position(|w| w == b"Exif\0\0").expect("an EXIF is kept");
        assert_eq!(exif_orientation(&stripped[app1..]), Some(6));
        assert_eq!(inspect(&stripped).unwrap().width, 640);
        // Orientation 1 (as taken) needs no EXIF at all; the skeleton's other EXIF has none.
        assert!(!strip_metadata(&jpeg_bytes()).unwrap().windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn a_cut_or_false_jpeg_is_refused() {
        let b = jpeg_bytes();
        assert!(inspect(&b[..b.len() - 2]).unwrap_err().contains("cut short"));
        assert!(inspect(&b[..30]).is_err());
        assert!(inspect(b"\xFF\xD8\xFFhello, I am text").is_err());
        assert!(inspect(b"GIF89a....").unwrap_err().contains("neither"));
    }

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend(kind);
        c.extend(data);
        let mut crc = flate2::Crc::new();
        crc.update(&c[4..]);
        c.extend(crc.sum().to_be_bytes());
        c
    }

    #[test]
    fn a_png_is_checked_chunk_by_chunk() {
        let mut ihdr = 3u32.to_be_bytes().to_vec();
        ihdr.extend(2u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend(chunk(b"IHDR", &ihdr));
        b.extend(chunk(b"tEXt", b"GPS\x0029.5,106.5"));
        b.extend(chunk(b"IDAT", b"\x78\x9c\x63\x00\x00\x00\x01\x00\x01"));
        b.extend(chunk(b"IEND", b""));
        assert_eq!(inspect(&b), Ok(Image { format: Format::Png, width: 3, height: 2 }));
        let stripped = strip_metadata(&b).unwrap();
        assert!(!stripped.windows(4).any(|w| w == b"tEXt"));
        assert!(inspect(&stripped).is_ok());
        let mut damaged = b.clone();
        let at = damaged.len() - 20;
        damaged[at] ^= 1;
        assert!(inspect(&damaged).unwrap_err().contains("CRC"));
        assert!(inspect(&b[..b.len() - 12]).unwrap_err().contains("cut short"));
    }
}

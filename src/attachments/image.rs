//! What a photo really is: the JPEG or PNG structure read (not trusted from the name or the
//! declared type) by `img-parts` — JPEG segments, PNG chunks with their CRCs —, its size in
//! pixels, and its metadata removed on request: EXIF (with the camera's GPS position), XMP and
//! IPTC in a JPEG; text, EXIF and time chunks in a PNG. The pixels are never decoded or changed;
//! a JPEG keeps its EXIF orientation alone, in an EXIF of one tag, so that a portrait photo does
//! not turn on its side.

use img_parts::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;

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

/// A checked image, its parts read by `img-parts` (JPEG segments, PNG chunks with their CRCs).
enum Parsed {
    Jpeg(Jpeg),
    Png(Png),
}

/// Checks that `bytes` are a whole JPEG or PNG; says what is wrong otherwise.
pub fn inspect(bytes: &[u8]) -> Result<Image, String> {
    parse(bytes).map(|(image, _)| image)
}

/// The same image without its metadata (the bytes must have passed [`inspect`]).
pub fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let stripped = match parse(bytes)?.1 {
        Parsed::Jpeg(mut jpeg) => {
            let orientation = jpeg
                .segments()
                .iter()
                .filter(|s| s.marker() == markers::APP1)
                .find_map(|s| exif_orientation(s.contents()))
                .filter(|o| *o != 1);
            // The kept EXIF of one tag goes where the first metadata segment was.
            let at = jpeg.segments().iter().position(|s| jpeg_metadata(s.marker()));
            jpeg.segments_mut().retain(|s| !jpeg_metadata(s.marker()));
            if let (Some(orientation), Some(at)) = (orientation, at) {
                let exif = JpegSegment::new_with_contents(markers::APP1, Bytes::from(orientation_only(orientation)));
                jpeg.segments_mut().insert(at, exif);
            }
            jpeg.encoder().bytes()
        }
        Parsed::Png(mut png) => {
            png.chunks_mut().retain(|c| !png_metadata(&c.kind()));
            png.encoder().bytes()
        }
    };
    Ok(stripped.to_vec())
}

/// The image of `bytes` and its parts, checked as a whole.
fn parse(bytes: &[u8]) -> Result<(Image, Parsed), String> {
    let (image, parsed) = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)?
    } else if bytes.starts_with(PNG_SIGNATURE) {
        png(bytes)?
    } else {
        return Err("the file is neither a JPEG nor a PNG image (its first bytes say so)".into());
    };
    if image.width == 0 || image.height == 0 || image.width > MAX_SIDE || image.height > MAX_SIDE {
        return Err(format!("the image is {}×{} pixels; each side must be 1–{MAX_SIDE}", image.width, image.height));
    }
    Ok((image, parsed))
}

/// JPEG markers whose segment is metadata: APP1 (EXIF, XMP), APP12, APP13 (IPTC), comments.
fn jpeg_metadata(marker: u8) -> bool {
    matches!(marker, markers::APP1 | markers::APP12 | markers::APP13 | markers::COM)
}

/// A JPEG read to its scan, whose data must run to the end-of-image marker.
fn jpeg(b: &[u8]) -> Result<(Image, Parsed), String> {
    let truncated = || "the JPEG ends before its image data: the file is cut short or not a JPEG".to_string();
    let jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(b)).map_err(|e| match e {
        img_parts::Error::Truncated => truncated(),
        other => format!("the JPEG is damaged: {other}"),
    })?;
    let Some(scan) = jpeg.segments().iter().position(|s| s.marker() == markers::SOS) else {
        return Err(truncated());
    };
    let Some((width, height)) =
        jpeg.dimensions().filter(|_| jpeg.segments()[..scan].iter().any(|s| is_frame(s.marker())))
    else {
        return Err("the JPEG has image data but no frame header (no size)".into());
    };
    // The entropy-coded data after the scan's header runs to the end-of-image marker.
    let data = 2 + jpeg.segments()[..=scan].iter().map(|s| s.len()).sum::<usize>();
    if !b.get(data..).unwrap_or_default().windows(2).any(|w| w == [0xFF, markers::EOI]) {
        return Err(truncated());
    }
    let image = Image { format: Format::Jpeg, width: u32::from(width), height: u32::from(height) };
    Ok((image, Parsed::Jpeg(jpeg)))
}

/// Start-of-frame markers (SOF0–SOF15 but DHT, JPG and DAC): they carry the image's size.
fn is_frame(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
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

/// The payload of an APP1 segment holding an EXIF of one tag: the orientation.
fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    payload.extend(orientation.to_be_bytes());
    payload.extend([0, 0, 0, 0, 0, 0]); // the value's padding, then no next IFD
    payload
}

/// PNG chunks that are metadata: text, EXIF, the time of the last change.
fn png_metadata(kind: &[u8]) -> bool {
    matches!(kind, b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME")
}

/// A PNG read chunk by chunk (each checked against its CRC): its header first, image data, and
/// its end chunk last.
fn png(b: &[u8]) -> Result<(Image, Parsed), String> {
    let png = Png::from_bytes(Bytes::copy_from_slice(b)).map_err(|e| match e {
        img_parts::Error::BadCRC => "the PNG is damaged: a chunk fails its CRC".to_string(),
        img_parts::Error::Truncated => "the PNG ends inside a chunk: the file is cut short".to_string(),
        other => format!("the PNG is damaged: {other}"),
    })?;
    let chunks = png.chunks();
    match chunks.first().map(|c| (c.kind(), c.contents().len())) {
        Some((kind, 13)) if &kind == b"IHDR" => {}
        Some((kind, _)) if &kind == b"IHDR" => return Err("the PNG's header chunk has the wrong length".into()),
        _ => return Err("the PNG does not start with its header chunk".into()),
    }
    if chunks.last().is_none_or(|c| &c.kind() != b"IEND") {
        return Err("the PNG ends before its IEND chunk: the file is cut short".into());
    }
    if !chunks.iter().any(|c| &c.kind() == b"IDAT") {
        return Err("the PNG has no image data".into());
    }
    let (width, height) = png.dimensions().unwrap_or_default();
    Ok((Image { format: Format::Png, width, height }, Parsed::Png(png)))
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

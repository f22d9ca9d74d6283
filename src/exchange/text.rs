//! Text encodings of imported files: UTF-8, or GBK/GB18030 as Chinese spreadsheets save CSV.

use anyhow::{Result, bail};

/// The file's text and the name of the encoding it was read in.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    // GB18030 is a superset of GBK and GB2312: one decoder reads all three.
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((text.into_owned(), "GBK/GB18030")),
        None => bail!("the file is neither UTF-8 nor GBK/GB18030 text: save it as UTF-8 and import again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gbk_and_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("渝北区,活性炭");
        assert_eq!(decode(&gbk).unwrap(), ("渝北区,活性炭".to_string(), "GBK/GB18030"));
        assert_eq!(decode("\u{feff}渝北区".as_bytes()).unwrap(), ("渝北区".to_string(), "UTF-8"));
        assert!(decode(&[0xff, 0xfe, 0x00, 0x81]).is_err());
    }
}

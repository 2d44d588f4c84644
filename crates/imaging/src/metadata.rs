//! Metadata inside image files, found and removed without touching the pixels: JPEG
//! segments, PNG chunks, WebP RIFF chunks and GIF extension blocks. Never decodes an image;
//! a file whose structure it cannot follow is reported as [`Unreadable`], never guessed at.

use dynaspark::ImageType;

/// The file's structure could not be followed (truncated or damaged); the reason is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unreadable(pub(crate) &'static str);

/// What walking a file found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Frames in the file: more than one is an animation (GIF, APNG, animated WebP).
    pub(crate) frames: u32,
    /// The file without its private metadata, when asked for and there was some to remove.
    pub(crate) stripped: Option<Vec<u8>>,
}

/// Walks the file's blocks; with `strip`, also builds a copy without private metadata.
///
/// Removed: EXIF (which holds GPS, camera serial numbers, a thumbnail), XMP, IPTC, comments,
/// text chunks, embedded extra pictures (JPEG MPF: depth maps, previews, each with its own
/// EXIF) and anything after the end of the image. Kept: everything needed to show the
/// pixels as they are, including ICC colour profiles and the Adobe colour-transform flag.
pub(crate) fn walk(kind: ImageType, bytes: &[u8], strip: bool) -> Result<Walk, Unreadable> {
    let mut out = strip.then(|| Vec::with_capacity(bytes.len()));
    let (frames, changed) = match kind {
        ImageType::Jpeg => (1, jpeg(bytes, &mut out)?),
        ImageType::Png => png(bytes, &mut out)?,
        ImageType::Gif => gif(bytes, &mut out)?,
        ImageType::Webp => webp(bytes, &mut out)?,
    };
    Ok(Walk {
        frames,
        stripped: out.filter(|_| changed),
    })
}

fn copy(out: &mut Option<Vec<u8>>, piece: &[u8]) {
    if let Some(out) = out {
        out.extend_from_slice(piece);
    }
}

fn get(bytes: &[u8], range: std::ops::Range<usize>) -> Result<&[u8], Unreadable> {
    bytes
        .get(range)
        .ok_or(Unreadable("the file ends too early"))
}

/// JPEG: a marker `FF xx`, then (except for standalone markers) a big-endian length that
/// counts itself. After SOS comes entropy-coded data up to the next real marker.
fn jpeg(b: &[u8], out: &mut Option<Vec<u8>>) -> Result<bool, Unreadable> {
    copy(out, get(b, 0..2)?);
    let mut pos = 2;
    let mut changed = false;
    loop {
        if pos >= b.len() {
            // Ends without EOI after its image data: kept as it is (viewers show it).
            return Ok(changed);
        }
        if b[pos] != 0xFF {
            return Err(Unreadable("a JPEG segment is damaged"));
        }
        let start = pos;
        let mut m = pos + 1;
        while b.get(m) == Some(&0xFF) {
            m += 1;
        }
        let marker = *b.get(m).ok_or(Unreadable("the file ends too early"))?;
        pos = m + 1;
        match marker {
            0xD9 => {
                copy(out, &b[start..pos]);
                // Anything after the end of the image (MPF pictures, trailers) goes.
                return Ok(changed || pos < b.len());
            }
            0x01 | 0xD0..=0xD7 => {
                copy(out, &b[start..pos]);
                continue;
            }
            _ => {}
        }
        let len = get(b, pos..pos + 2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(Unreadable("a JPEG segment is damaged"));
        }
        let end = pos + len;
        let payload = get(b, pos + 2..end)?;
        let keep = match marker {
            0xE0 => payload.starts_with(b"JFIF\0"),
            0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
            0xEE => payload.starts_with(b"Adobe"),
            // APP1 (EXIF, XMP), APP2 others (MPF, FlashPix), APP3-APP15 (IPTC, JUMBF…), COM.
            0xE1..=0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            copy(out, &b[start..end]);
        } else {
            changed = true;
        }
        pos = end;
        if marker == 0xDA {
            let scan_end = scan_end(b, pos);
            copy(out, &b[pos..scan_end]);
            pos = scan_end;
        }
    }
}

/// Where entropy-coded data ends: the first `FF` followed by a byte that is not a stuffed
/// zero, a restart marker or another `FF`.
fn scan_end(b: &[u8], mut i: usize) -> usize {
    while i + 1 < b.len() {
        if b[i] == 0xFF && !matches!(b[i + 1], 0x00 | 0xD0..=0xD7 | 0xFF) {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// PNG: the signature, then chunks of length (big-endian), type, data and CRC, to IEND.
fn png(b: &[u8], out: &mut Option<Vec<u8>>) -> Result<(u32, bool), Unreadable> {
    copy(out, get(b, 0..8)?);
    let mut pos = 8;
    let mut changed = false;
    let mut frames = 1;
    loop {
        let head = get(b, pos..pos + 8)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let end = pos
            .checked_add(12 + len)
            .ok_or(Unreadable("a PNG chunk is damaged"))?;
        let chunk = get(b, pos..end)?;
        if kind == b"acTL" && len >= 4 {
            frames = u32::from_be_bytes([chunk[8], chunk[9], chunk[10], chunk[11]]).max(1);
        }
        if matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            changed = true;
        } else {
            copy(out, chunk);
        }
        pos = end;
        if kind == b"IEND" {
            return Ok((frames, changed || pos < b.len()));
        }
    }
}

/// WebP: `RIFF`, a little-endian size, `WEBP`, then chunks of fourcc, size and data padded
/// to an even length. The VP8X header's flags say whether EXIF and XMP chunks follow.
fn webp(b: &[u8], out: &mut Option<Vec<u8>>) -> Result<(u32, bool), Unreadable> {
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;
    const ANIMATION_FLAG: u8 = 0x02;
    let head = get(b, 0..12)?;
    let riff_len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let end_of_riff = riff_len.saturating_add(8).min(b.len());
    copy(out, head);
    let mut pos = 12;
    let mut changed = end_of_riff < b.len();
    let mut frames = 0;
    let mut animated = false;
    let mut vp8x_flags_at = None;
    while pos + 8 <= end_of_riff {
        let chunk_head = &b[pos..pos + 8];
        let fourcc = &chunk_head[..4];
        let len = u32::from_le_bytes([chunk_head[4], chunk_head[5], chunk_head[6], chunk_head[7]])
            as usize;
        let end = pos
            .checked_add(8 + len + (len & 1))
            .ok_or(Unreadable("a WebP chunk is damaged"))?
            .min(end_of_riff);
        let chunk = get(b, pos..end)?;
        match fourcc {
            b"EXIF" | b"XMP " => changed = true,
            _ => {
                if fourcc == b"VP8X" {
                    let flags = *chunk.get(8).ok_or(Unreadable("a WebP header is damaged"))?;
                    animated = flags & ANIMATION_FLAG != 0;
                    if flags & (EXIF_FLAG | XMP_FLAG) != 0 {
                        changed = true;
                    }
                    vp8x_flags_at = out.as_ref().map(|o| o.len() + 8);
                } else if fourcc == b"ANMF" {
                    frames += 1;
                }
                copy(out, chunk);
            }
        }
        pos = end;
    }
    if let (Some(out), Some(at)) = (out.as_mut(), vp8x_flags_at) {
        out[at] &= !(EXIF_FLAG | XMP_FLAG);
    }
    if let Some(out) = out.as_mut() {
        let size = u32::try_from(out.len() - 8).map_err(|_| Unreadable("the file is too large"))?;
        out[4..8].copy_from_slice(&size.to_le_bytes());
    }
    let frames = if animated { frames.max(2) } else { 1 };
    Ok((frames, changed))
}

/// GIF: header, logical screen (with its colour table), then blocks: extensions (`21`),
/// images (`2C`) and the trailer (`3B`). Data comes in sub-blocks ended by a zero length.
fn gif(b: &[u8], out: &mut Option<Vec<u8>>) -> Result<(u32, bool), Unreadable> {
    let screen = get(b, 0..13)?;
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let mut pos = 13 + table(screen[10]);
    copy(out, get(b, 0..pos)?);
    let mut changed = false;
    let mut frames = 0;
    loop {
        let start = pos;
        match *b.get(pos).ok_or(Unreadable("the file ends too early"))? {
            0x3B => {
                copy(out, &b[start..=start]);
                return Ok((frames.max(1), changed || start + 1 < b.len()));
            }
            0x21 => {
                let label = get(b, pos + 1..pos + 2)?[0];
                let first = get(b, pos + 2..pos + 3)?[0] as usize;
                let app_id = b.get(pos + 3..pos + 3 + first.min(11)).unwrap_or_default();
                pos = sub_blocks_end(b, pos + 2)?;
                // Keep: graphic control (timing, transparency), plain text (drawn content),
                // the loop count. Drop: comments and other application data (XMP, ICC).
                let keep = match label {
                    0xF9 | 0x01 => true,
                    0xFF => app_id == b"NETSCAPE2.0" || app_id == b"ANIMEXTS1.0",
                    _ => false,
                };
                if keep {
                    copy(out, &b[start..pos]);
                } else {
                    changed = true;
                }
            }
            0x2C => {
                let descriptor = get(b, pos..pos + 10)?;
                pos += 10 + table(descriptor[9]) + 1; // + the LZW minimum code size
                pos = sub_blocks_end(b, pos)?;
                copy(out, &b[start..pos]);
                frames += 1;
            }
            _ => return Err(Unreadable("a GIF block is damaged")),
        }
    }
}

/// The position after a chain of sub-blocks starting at `pos`.
fn sub_blocks_end(b: &[u8], mut pos: usize) -> Result<usize, Unreadable> {
    loop {
        let len = *b.get(pos).ok_or(Unreadable("the file ends too early"))? as usize;
        pos += 1 + len;
        if len == 0 {
            return Ok(pos);
        }
        if pos > b.len() {
            return Err(Unreadable("the file ends too early"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// `walked` strips its file to `want`, and `want` is clean: nothing left to strip.
    fn assert_strips_to(kind: ImageType, walked: Walk, want: &[u8]) {
        assert_eq!(walked.stripped.as_deref(), Some(want));
        assert!(walk(kind, want, true).unwrap().stripped.is_none());
    }

    #[test]
    fn jpeg_loses_exif_xmp_comments_and_trailers_but_keeps_what_draws_it() {
        let jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let exif = segment(0xE1, b"Exif\0\0II*\0\x08\0\0\0\0\0");
        let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01prof");
        let mpf = segment(0xE2, b"MPF\0II*\0");
        let adobe = segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01");
        let comment = segment(0xFE, b"shot at home");
        let dqt = segment(0xDB, &[0; 65]);
        let sos = segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
        let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        let parts: Vec<&[u8]> = vec![
            &[0xFF, 0xD8],
            &jfif,
            &exif,
            &xmp,
            &icc,
            &mpf,
            &adobe,
            &comment,
            &dqt,
            &sos,
            &scan,
            &[0xFF, 0xD9],
            b"\xFF\xD8second picture",
        ];
        let file = parts.concat();
        let walked = walk(ImageType::Jpeg, &file, true).unwrap();
        let want = [
            &[0xFF, 0xD8][..],
            &jfif,
            &icc,
            &adobe,
            &dqt,
            &sos,
            &scan,
            &[0xFF, 0xD9],
        ]
        .concat();
        assert_eq!(walked.frames, 1);
        assert_strips_to(ImageType::Jpeg, walked, &want);
        // Cut inside a segment header: not guessed at.
        assert!(walk(ImageType::Jpeg, &file[..2 + jfif.len() + 3], true).is_err());
    }

    #[test]
    fn png_loses_text_time_and_exif_chunks() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            [
                &(data.len() as u32).to_be_bytes()[..],
                kind,
                data,
                &[0, 0, 0, 0],
            ]
            .concat()
        }
        let ihdr = chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        let actl = chunk(b"acTL", &[0, 0, 0, 3, 0, 0, 0, 0]);
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let file = [
            &b"\x89PNG\r\n\x1a\n"[..],
            &ihdr,
            &chunk(b"tEXt", b"Comment\0hi"),
            &chunk(b"eXIf", b"MM\0*"),
            &actl,
            &idat,
            &chunk(b"tIME", &[7; 7]),
            &iend,
        ]
        .concat();
        let walked = walk(ImageType::Png, &file, true).unwrap();
        assert_eq!(walked.frames, 3);
        let want = [&b"\x89PNG\r\n\x1a\n"[..], &ihdr, &actl, &idat, &iend].concat();
        assert_strips_to(ImageType::Png, walked, &want);
    }

    #[test]
    fn webp_loses_exif_and_xmp_and_its_header_says_so() {
        fn chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut c = [&fourcc[..], &(data.len() as u32).to_le_bytes()].concat();
            c.extend_from_slice(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        }
        let riff = |chunks: &[Vec<u8>]| {
            let body = chunks.concat();
            [
                &b"RIFF"[..],
                &((body.len() + 4) as u32).to_le_bytes(),
                b"WEBP",
                &body,
            ]
            .concat()
        };
        let vp8x = |flags: u8| chunk(b"VP8X", &[flags, 0, 0, 0, 9, 0, 0, 9, 0, 0]);
        let image = chunk(b"VP8L", b"lossless data");
        let file = riff(&[
            vp8x(0x08 | 0x04 | 0x10),
            image.clone(),
            chunk(b"EXIF", b"II*\0gps"),
            chunk(b"XMP ", b"<x/>"),
        ]);
        let walked = walk(ImageType::Webp, &file, true).unwrap();
        let want = riff(&[vp8x(0x10), image]);
        assert_eq!(walked.frames, 1);
        assert_strips_to(ImageType::Webp, walked, &want);
    }

    #[test]
    fn gif_loses_comments_and_keeps_frames_timing_and_loops() {
        let screen = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff";
        let netscape = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0";
        let xmp = b"\x21\xff\x0bXMP DataXMP\x03abc\0";
        let comment = b"\x21\xfe\x05hello\0";
        let control = b"\x21\xf9\x04\0\x0a\0\0\0";
        let frame = b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0";
        let file = [
            &screen[..],
            netscape,
            xmp,
            comment,
            control,
            frame,
            control,
            frame,
            b"\x3b",
        ]
        .concat();
        let walked = walk(ImageType::Gif, &file, true).unwrap();
        assert_eq!(walked.frames, 2);
        let want = [
            &screen[..],
            netscape,
            control,
            frame,
            control,
            frame,
            b"\x3b",
        ]
        .concat();
        assert_eq!(walked.stripped.unwrap(), want);
        let walked = walk(ImageType::Gif, &want, false).unwrap();
        assert!(walked.stripped.is_none());
        assert_eq!(walked.frames, 2);
    }
}

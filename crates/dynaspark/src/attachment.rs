//! Image checks by magic bytes: the only formats the vision endpoint takes.
//! Decides what an image *is* from its bytes, never from its file name; a name is only
//! corrected to match, or read when the bytes say nothing.

use std::sync::OnceLock;

use crate::Error;

/// The image formats Dynaspark accepts, for messages to people.
pub const SUPPORTED_FORMATS: &str = "JPEG, PNG, GIF or WebP";

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl ImageType {
    /// Every format the service takes (the protocol page, "Image part").
    pub const ALL: [ImageType; 4] = [
        ImageType::Jpeg,
        ImageType::Png,
        ImageType::Gif,
        ImageType::Webp,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }

    /// The extension given to a file of this type (`jpg`, not `jpeg`).
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        }
    }

    /// Every extension a file of this type may have, lower case (the ones the shared MIME
    /// database gives it).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            ImageType::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            ImageType::Png => &["png"],
            ImageType::Gif => &["gif"],
            ImageType::Webp => &["webp"],
        }
    }

    /// A format name for people: `JPEG`, `PNG`, `GIF`, `WebP`.
    pub fn label(self) -> &'static str {
        match self {
            ImageType::Jpeg => "JPEG",
            ImageType::Png => "PNG",
            ImageType::Gif => "GIF",
            ImageType::Webp => "WebP",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.mime() == mime)
    }

    /// `name` with an extension that matches this type: kept when it already does
    /// (`photo.JPEG`), replaced when it names another type (`photo.png` holding a JPEG
    /// becomes `photo.jpg`), added when there is none or it is not a file type
    /// (`scan 2024.05` becomes `scan 2024.05.jpg`). An empty name becomes `image.<ext>`.
    pub fn corrected_name(self, name: &str) -> String {
        let name = name.trim();
        let (stem, ext) = split_extension(name);
        if stem.is_empty() && ext.is_empty() {
            return format!("image.{}", self.extension());
        }
        let ext_lower = ext.to_ascii_lowercase();
        if self.extensions().contains(&ext_lower.as_str()) {
            name.to_owned()
        } else if looks_like_a_file_type(ext) {
            format!("{stem}.{}", self.extension())
        } else {
            format!("{name}.{}", self.extension())
        }
    }
}

/// The extensions to offer in a file dialog's image filter: those of every accepted type,
/// in lower and upper case (GTK matches the patterns case-sensitively, and cameras name
/// files `IMG_0001.JPG`).
pub fn dialog_extensions() -> &'static [&'static str] {
    static EXTENSIONS: OnceLock<Vec<&'static str>> = OnceLock::new();
    EXTENSIONS.get_or_init(|| {
        let lower: Vec<&'static str> = ImageType::ALL
            .into_iter()
            .flat_map(|t| t.extensions().iter().copied())
            .collect();
        // Leaked once: the upper-case spellings live as long as the program, like the table.
        let upper = lower
            .iter()
            .map(|e| &*e.to_ascii_uppercase().leak())
            .collect::<Vec<&'static str>>();
        lower.into_iter().chain(upper).collect()
    })
}

/// Whether `ext` reads as a file type (`txt`, `heic`, `mp4`) rather than part of a name
/// (`05` in `scan 2024.05`): up to five letters and digits, at least one a letter.
fn looks_like_a_file_type(ext: &str) -> bool {
    (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && ext.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Image types the service does not take, by the extensions people meet them under.
const OTHER_IMAGE_EXTENSIONS: [&str; 27] = [
    "avif", "bmp", "dib", "heic", "heics", "heif", "ico", "cur", "icns", "jxl", "jp2", "j2k",
    "jpx", "tif", "tiff", "svg", "svgz", "psd", "tga", "xcf", "dng", "cr2", "nef", "arw", "raw",
    "emf", "wmf",
];

/// Splits `photo.final.png` into `photo.final` and `png`; a leading dot (`.png`) is part
/// of the stem, not an extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && !name[dot + 1..].contains(['/', '\\', ' ']) => {
            (&name[..dot], &name[dot + 1..])
        }
        _ => (name, ""),
    }
}

/// Reads the image type from the first bytes, per the protocol page.
pub fn sniff_image_type(bytes: &[u8]) -> Option<ImageType> {
    const PNG: &[u8] = &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    if bytes.starts_with(&[0xFF, 0xD8]) {
        Some(ImageType::Jpeg)
    } else if bytes.starts_with(PNG) {
        Some(ImageType::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageType::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageType::Webp)
    } else {
        None
    }
}

/// What a file that is not an accepted image is, in words for a message ("a HEIC image"),
/// from its bytes; when they say nothing known, from the type its name claims, but only
/// if that is an image type the service does not take (`drawing.svgz`). `None` when
/// nothing useful can be said (text, an unknown binary, a `.jpg` that is not a JPEG).
pub fn describe_unsupported(name: &str, bytes: &[u8]) -> Option<String> {
    if let Some(what) = sniff_other_format(bytes) {
        return Some(what.to_owned());
    }
    let (_, ext) = split_extension(name.trim());
    if ext.is_empty() {
        return None;
    }
    let ext = ext.to_ascii_lowercase();
    OTHER_IMAGE_EXTENSIONS
        .contains(&ext.as_str())
        .then(|| format!("an image of type {}", ext.to_ascii_uppercase()))
}

/// The refusal for bytes that are not an accepted image, naming what they are when that is
/// known: "photo.heic, a HEIC image, is not a supported image. Dynaspark accepts …".
pub fn unsupported(name: &str, bytes: &[u8]) -> Error {
    let name = match describe_unsupported(name, bytes) {
        Some(what) => format!("{name}, {what},"),
        None => name.to_owned(),
    };
    Error::NotAnImage { name }
}

/// Formats people try to attach that the service does not take, recognised by their
/// signatures (the ISO media `ftyp` brands for HEIF and AVIF).
fn sniff_other_format(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, sig: &[u8]| bytes.get(offset..offset + sig.len()) == Some(sig);
    if at(4, b"ftyp") {
        let brands = bytes.get(8..bytes.len().min(64)).unwrap_or_default();
        let has = |brand: &[u8]| brands.chunks(4).any(|b| b == brand);
        return Some(if has(b"avif") || has(b"avis") {
            "an AVIF image"
        } else if [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"]
            .iter()
            .any(|b| has(*b))
        {
            "a HEIC image"
        } else if has(b"mif1") || has(b"msf1") {
            "a HEIF image"
        } else if has(b"crx ") {
            "a Canon raw photo (CR3)"
        } else {
            "a video"
        });
    }
    let text_start = {
        let mut t = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        while let [first, rest @ ..] = t {
            if !first.is_ascii_whitespace() {
                break;
            }
            t = rest;
        }
        t
    };
    let head = &text_start[..text_start.len().min(4096)];
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if (head.starts_with(b"<?xml") || head.starts_with(b"<svg") || head.starts_with(b"<!--"))
        && contains(b"<svg")
    {
        return Some("an SVG image");
    }
    let bmp_header = bytes
        .get(14..18)
        .map(|h| u32::from_le_bytes([h[0], h[1], h[2], h[3]]));
    Some(match bytes {
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => "a TIFF image",
        [b'B', b'M', ..]
            if matches!(bmp_header, Some(12 | 40 | 52 | 56 | 64 | 108 | 124))
                && bytes.get(6..10) == Some(&[0, 0, 0, 0]) =>
        {
            "a BMP image"
        }
        [0, 0, 1, 0, n, ..] if *n > 0 => "an icon (ICO)",
        [b'8', b'B', b'P', b'S', ..] => "a Photoshop document (PSD)",
        [0xFF, 0x0A, ..] => "a JPEG XL image",
        _ if at(0, b"\0\0\0\x0cJXL \r\n\x87\n") => "a JPEG XL image",
        _ if at(0, b"\0\0\0\x0cjP  \r\n\x87\n") || at(0, &[0xFF, 0x4F, 0xFF, 0x51]) => {
            "a JPEG 2000 image"
        }
        _ if at(0, b"qoif") => "a QOI image",
        _ if at(0, b"%PDF-") => "a PDF document",
        _ => return None,
    })
}

/// An image ready to send: its bytes, the type read from them, and the file name
/// the person knows it by. The name is sent as given; the image library gives it the
/// extension of the type first ([`ImageType::corrected_name`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    file_name: String,
    kind: ImageType,
    /// Shared, so that the request's body takes them without a copy.
    bytes: bytes::Bytes,
}

impl Image {
    /// Accepts `bytes` only when their magic bytes name a supported format.
    pub fn new(file_name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Error> {
        let file_name = file_name.into();
        match sniff_image_type(&bytes) {
            Some(kind) => Ok(Self {
                file_name,
                kind,
                bytes: bytes.into(),
            }),
            None => Err(unsupported(&file_name, &bytes)),
        }
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }
    pub fn kind(&self) -> ImageType {
        self.kind
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The same image under another file name (the bytes shared, not copied).
    pub fn renamed(&self, file_name: impl Into<String>) -> Self {
        Self {
            file_name: file_name.into(),
            ..self.clone()
        }
    }

    /// The bytes, shared (no copy).
    pub(crate) fn shared_bytes(&self) -> bytes::Bytes {
        self.bytes.clone()
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("file_name", &self.file_name)
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_supported_format() {
        let cases: [(&[u8], ImageType); 6] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], ImageType::Jpeg),
            (&[0xFF, 0xD8], ImageType::Jpeg),
            (
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0],
                ImageType::Png,
            ),
            (b"GIF87a....", ImageType::Gif),
            (b"GIF89a....", ImageType::Gif),
            (b"RIFF\x10\0\0\0WEBPVP8 ", ImageType::Webp),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff_image_type(bytes), Some(want), "{bytes:?}");
        }
    }

    #[test]
    fn refuses_lookalikes_and_other_formats() {
        let cases: [&[u8]; 9] = [
            b"",
            &[0xFF],
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A], // PNG signature cut short
            b"GIF88a",
            b"RIFF\x10\0\0\0WAVEfmt ", // a WAV file
            b"RIFF\0\0\0WEBP",         // too short
            b"%PDF-1.7",
            b"\0\0\0\x18ftypheic", // HEIC
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        ];
        for bytes in cases {
            assert_eq!(sniff_image_type(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn type_comes_from_bytes_not_the_name() {
        let png_named_jpg = Image::new("photo.jpg", b"\x89PNG\r\n\x1a\nrest".to_vec()).unwrap();
        assert_eq!(png_named_jpg.kind(), ImageType::Png);
        assert_eq!(png_named_jpg.kind().mime(), "image/png");
        let err = Image::new("notes.png", b"hello".to_vec()).unwrap_err();
        assert_eq!(err.code().as_str(), "not_an_image");
        assert!(err.to_string().contains("notes.png"));
    }

    #[test]
    fn mime_round_trips() {
        for t in [
            ImageType::Jpeg,
            ImageType::Png,
            ImageType::Gif,
            ImageType::Webp,
        ] {
            assert_eq!(ImageType::from_mime(t.mime()), Some(t));
        }
        assert_eq!(ImageType::from_mime("image/heic"), None);
    }

    #[test]
    fn names_are_corrected_to_the_type_the_bytes_say() {
        let cases = [
            (ImageType::Jpeg, "photo.png", "photo.jpg"),
            (ImageType::Jpeg, "photo.JPEG", "photo.JPEG"),
            (ImageType::Jpeg, "photo.jfif", "photo.jfif"),
            (ImageType::Jpeg, "IMG_0001.HEIC", "IMG_0001.jpg"),
            (ImageType::Png, "photo.jpg", "photo.png"),
            (ImageType::Png, "red square.png", "red square.png"),
            (ImageType::Webp, "sticker", "sticker.webp"),
            (ImageType::Gif, "scan 2024.05", "scan 2024.05.gif"),
            (ImageType::Png, "notes.txt", "notes.png"),
            (ImageType::Png, ".png", ".png.png"),
            (ImageType::Png, "", "image.png"),
            (ImageType::Jpeg, "фото.png", "фото.jpg"),
        ];
        for (kind, name, want) in cases {
            assert_eq!(kind.corrected_name(name), want, "{kind:?} {name}");
        }
    }

    #[test]
    fn dialog_offers_every_accepted_extension_in_both_cases() {
        let exts = dialog_extensions();
        for want in ["png", "jpg", "jpeg", "gif", "webp", "JPG", "PNG", "WEBP"] {
            assert!(exts.contains(&want), "{want} missing from {exts:?}");
        }
        for t in ImageType::ALL {
            assert!(t.extensions().contains(&t.extension()));
            assert!(exts.contains(&t.extension()));
        }
        for not in ["heic", "svg", "tif", "bmp", "avif"] {
            assert!(!exts.contains(&not), "{not}");
        }
    }

    #[test]
    fn formats_the_service_does_not_take_are_named() {
        let cases: [(&str, &[u8], &str); 10] = [
            (
                "IMG_1.HEIC",
                b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
                "a HEIC image",
            ),
            (
                "a.heif",
                b"\0\0\0\x18ftypmif1\0\0\0\0mif1miaf",
                "a HEIF image",
            ),
            (
                "a.avif",
                b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf",
                "an AVIF image",
            ),
            ("scan.tif", b"II*\0\x08\0\0\0", "a TIFF image"),
            ("x.jpg", b"MM\0*\0\0\0\x08", "a TIFF image"),
            (
                "logo.svg",
                b"\xEF\xBB\xBF <?xml version='1.0'?>\n<svg xmlns='x'/>",
                "an SVG image",
            ),
            ("doc.png", b"%PDF-1.7\n", "a PDF document"),
            ("art.psd", b"8BPS\0\x01", "a Photoshop document (PSD)"),
            // Bytes that say nothing: the name's type, when it is an image type.
            ("drawing.svgz", b"\x1f\x8b\x08\0", "an image of type SVGZ"),
            ("shot.bmp", b"garbage", "an image of type BMP"),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(
                describe_unsupported(name, bytes).as_deref(),
                Some(want),
                "{name}"
            );
            let message = Image::new(name, bytes.to_vec()).unwrap_err().to_string();
            assert_eq!(
                message,
                format!("{name}, {want}, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.")
            );
        }
        let mut bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0".to_vec();
        bmp.resize(70, 0);
        assert_eq!(
            describe_unsupported("x.png", &bmp).as_deref(),
            Some("a BMP image")
        );
        // Text, or a name that claims an accepted type: nothing to add to the plain refusal.
        for (name, bytes) in [
            ("notes.png", &b"just text"[..]),
            ("photo.jpg", b"hello"),
            ("BMW.txt", b"BMW is a car"),
            ("noext", b"\0\x01"),
        ] {
            assert_eq!(describe_unsupported(name, bytes), None, "{name}");
            assert_eq!(
                Image::new(name, bytes.to_vec()).unwrap_err().to_string(),
                format!(
                    "{name} is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
                )
            );
        }
    }
}

//! Image checks by magic bytes: the only formats the vision endpoint takes.
//! Decides what an image *is* from its bytes, never from its file name.

use crate::Error;

/// The image formats Dynaspark accepts, for messages to people.
pub const SUPPORTED_FORMATS: &str = "JPEG, PNG, GIF or WebP";

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl ImageType {
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        [
            ImageType::Jpeg,
            ImageType::Png,
            ImageType::Gif,
            ImageType::Webp,
        ]
        .into_iter()
        .find(|t| t.mime() == mime)
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

/// An image ready to send: its bytes, the type read from them, and the file name
/// the person knows it by.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    file_name: String,
    kind: ImageType,
    bytes: Vec<u8>,
}

impl Image {
    /// Accepts `bytes` only when their magic bytes name a supported format.
    pub fn new(file_name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Error> {
        let file_name = file_name.into();
        match sniff_image_type(&bytes) {
            Some(kind) => Ok(Self {
                file_name,
                kind,
                bytes,
            }),
            None => Err(Error::NotAnImage { name: file_name }),
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
}

//! The camera through nokhwa on this machine. Without a camera (CI, containers) the list is
//! empty and opening one fails with the clear "no camera" code, never a panic.

#![cfg(feature = "camera")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::SourceError;
use ea_scan::camera::{CameraSource, list_cameras};

#[test]
fn listing_cameras_never_panics_and_an_absent_camera_is_named() {
    let cameras = list_cameras().expect("listing cameras is not an error");
    if !cameras.is_empty() {
        eprintln!("this machine has cameras: {cameras:?}; the absent-camera part is skipped");
        return;
    }
    let err = CameraSource::open("0", None).expect_err("no camera to open");
    assert_eq!(err, SourceError::NoCamera, "{err}");
    assert_eq!(err.code().as_str(), "camera_none");
}

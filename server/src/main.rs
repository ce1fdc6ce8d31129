//! `ioc`: the THADS IOC binary. Everything lives in the `server` library; see `server::cli`.

/// jemalloc, not glibc's malloc: see `tikv-jemallocator` in `server/Cargo.toml`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    server::cli::main()
}

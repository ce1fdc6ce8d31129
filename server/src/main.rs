//! `ioc`: the THADS IOC binary. Everything lives in the `server` library; see `server::cli`.

fn main() -> std::process::ExitCode {
    server::cli::main()
}

use clap::Parser;

// A thread-caching allocator: request handling allocates on many threads at
// once, where glibc's malloc contends on its arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUPETS_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = kupets_cli::Cli::parse();
    if let Err(e) = kupets_cli::run(cli).await {
        eprintln!("Ошибка / error: {e:#}");
        std::process::exit(1);
    }
}
